"""OAuth 2.0 as a HighLevel Marketplace app sees it.

GET /oauth/chooselocation (also /v2/oauth/chooselocation) is the page a person sees: pick a
sub-account, then approve or deny the requested scopes; approval redirects to the
redirect_uri with `code` (and `state`), denial with `error=access_denied`. Every step also
works as a plain GET with `location_id` and `decision=approve|deny`, for scripts.
POST /oauth/token exchanges codes and refresh tokens (form-encoded; JSON is accepted too).
POST /oauth/locationToken and GET /oauth/installedLocations serve Company (agency) tokens.
"""

from html import escape
from urllib.parse import urlencode, urlparse

from sandboxes.highlevel import errors
from sandboxes.highlevel.context import Ctx
from sandboxes.highlevel.host import Sandbox
from sandboxes.highlevel.records import iso
from sandboxes.highlevel.tokens import RefreshError
from sandboxes.highlevel.validation import Checks
from sandboxes.kit import look
from sandboxes.kit.web import HTTPError, Request, Response, json_response, redirect

FLOW_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state", "user_type")
# What the consent page says each scope allows (our words; HighLevel's Scopes page lists the
# endpoints each opens). The page grants exactly the scopes asked for; app.py's routes say
# which requests each one allows.
SCOPE_WORDS = {
    "contacts.readonly": "View contacts, with their tasks, notes, tags and appointments",
    "contacts.write": "Edit contacts, with their tasks, notes, tags and followers",
    "locations/customFields.readonly": "View the sub-account's custom fields",
    "locations/customFields.write": "Edit the sub-account's custom fields",
    "users.readonly": "View the sub-account's users",
    "oauth.readonly": "View the locations the app is installed on",
    "oauth.write": "Create location tokens from an agency token",
}


def _page(title: str, content: str, status: int = 200) -> Response:
    return look.page("HighLevel", title, content, status)


def _hidden(params: dict) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(key)}" value="{escape(params[key])}">'
        for key in FLOW_PARAMS
        if params.get(key)
    )


def _scope_item(scope: str) -> str:
    words = SCOPE_WORDS.get(scope, "A scope this sandbox does not know: it opens nothing")
    return f"<li>{escape(scope)}<br><small>{escape(words)}</small></li>"


def _with_query(url: str, params: dict) -> str:
    separator = "&" if urlparse(url).query else "?"
    return url + separator + urlencode({k: v for k, v in params.items() if v})


def choose_location(app: Sandbox, request: Request) -> Response:
    params = {key: values[0] for key, values in request.query.items()}
    if request.method == "POST":
        params.update(request.form())
    creds = app.credentials
    redirect_uri = params.get("redirect_uri", "")
    problem = None
    if params.get("client_id") != creds["client_id"]:
        problem = "Unknown client_id: this app is not registered."
    elif params.get("response_type", "code") != "code":
        problem = "response_type must be code."
    elif urlparse(redirect_uri).scheme not in ("http", "https"):
        problem = "redirect_uri must be an http(s) URL."
    elif app.config.redirect_uris and redirect_uri not in app.config.redirect_uris:
        problem = "redirect_uri is not registered for this app."
    if problem:
        return _page("Cannot install this app", f"<p>{escape(problem)}</p>", 400)
    state = params.get("state")
    location_id = params.get("location_id")
    if location_id not in app.data.locations:
        options = "".join(
            '<label class="choice"><input type="radio" name="location_id" value="{id}"{checked}> '
            "{name} "
            "<small>({id})</small></label>".format(
                id=escape(loc["id"]), name=escape(loc["name"]), checked=" checked" if i == 0 else ""
            )
            for i, loc in enumerate(app.data.locations.values())
        )
        form = (
            '<form method="post"><p>Choose the sub-account to connect.</p>'
            f'{options}{_hidden(params)}<div class="actions">'
            '<button type="submit" class="primary">Continue</button></div></form>'
        )
        return _page("Choose a location", form)
    decision = params.get("decision")
    if decision == "deny":
        app.stats.bump("authorizations_denied")
        return redirect(
            _with_query(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "The user denied the request",
                    "state": state,
                },
            )
        )
    scopes = (params.get("scope") or "").split()
    if decision != "approve":
        items = "".join(_scope_item(scope) for scope in scopes) or "<li>(no scopes)</li>"
        location = app.data.locations[location_id]
        content = (
            f"<p>The app <strong>{escape(creds['client_id'])}</strong> asks for access to "
            f'<strong>{escape(location["name"])}</strong>:</p><ul class="scopes">{items}</ul>'
            f'<form method="post">{_hidden(params)}'
            f'<input type="hidden" name="location_id" value="{escape(location_id)}">'
            '<div class="actions"><button type="submit" class="primary" name="decision" '
            'value="approve">Allow</button>'
            '<button type="submit" name="decision" value="deny">Deny</button></div></form>'
        )
        return _page("Allow access?", content)
    grant = {
        "client_id": creds["client_id"],
        "app_key": creds["client_id"],
        "user_type": "Location",
        "location_id": location_id,
        "company_id": creds["company_id"],
        "approved_locations": [location_id],
        "scopes": scopes,
        "user_id": creds["user_ids"][0],
    }
    code = app.tokens.new_code(grant, redirect_uri, app.config.code_ttl)
    app.stats.bump("authorizations_approved")
    return redirect(_with_query(redirect_uri, {"code": code, "state": state}))


def _token_error(description: str, status: int = 401) -> HTTPError:
    return HTTPError(status, {"error": "UnAuthorized!", "error_description": description})


def _token_body(access: dict, refresh: dict | None, ttl: int) -> dict:
    body = {
        "access_token": access["token"],
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": " ".join(access["scopes"]),
        "userType": access["user_type"],
        "companyId": access["company_id"],
        "userId": access["user_id"],
        "isBulkInstallation": False,
    }
    if refresh is not None:
        body["refresh_token"] = refresh["token"]
    if access["user_type"] == "Location":
        body["locationId"] = access["location_id"]
    else:
        body["approvedLocations"] = list(access["approved_locations"])
    return body


def token(app: Sandbox, request: Request) -> tuple[int, dict]:
    """POST /oauth/token. The code (or refresh token) is checked before the client's
    credentials, as the live API does."""
    if "json" in (request.header("content-type") or ""):
        body = request.json(required=False) or {}
    else:
        body = request.form()
    checks = Checks(body, strict=False)
    checks.string("client_id", required=True)
    checks.string("client_secret", required=True)
    grant_type = checks.string("grant_type", required=True)
    grants = ("authorization_code", "refresh_token", "client_credentials")
    if grant_type is not None and grant_type not in grants:
        checks.errors.append(f"grant_type must be one of the following values: {', '.join(grants)}")
    user_type = body.get("user_type") or "Location"
    if user_type not in ("Company", "Location"):
        checks.errors.append("user_type must be one of the following values: Company, Location")
    if grant_type == "authorization_code":
        checks.string("code", required=True)
    if grant_type == "refresh_token":
        checks.string("refresh_token", required=True)
    checks.done()
    creds = app.credentials
    client_ok = (
        body["client_id"] == creds["client_id"] and body["client_secret"] == creds["client_secret"]
    )
    ttl = app.config.access_token_ttl
    if grant_type == "client_credentials":
        raise errors.bad_request("The client_credentials grant is not enabled for this app")
    if grant_type == "authorization_code":
        grant = app.tokens.redeem_code(body["code"])
        if grant is None:
            app.stats.bump("token_failures")
            raise _token_error("Authorization code not found")
        if not client_ok or grant["client_id"] != body["client_id"]:
            app.stats.bump("token_failures")
            raise _token_error("Invalid client credentials")
        if body.get("redirect_uri") and body["redirect_uri"] != grant["redirect_uri"]:
            app.stats.bump("token_failures")
            raise _token_error("redirect_uri does not match the authorization request")
        if user_type == "Company":
            grant = {**grant, "user_type": "Company", "location_id": None}
        access, refresh = app.tokens.issue(grant, ttl)
        app.stats.bump("tokens_issued")
        return 200, _token_body(access, refresh, ttl)
    try:
        old = app.tokens.use_refresh(
            body["refresh_token"], body["client_id"], app.config.refresh_token_grace_seconds
        )
    except RefreshError as error:
        app.stats.bump("token_refresh_failures")
        raise _token_error(str(error)) from None
    if not client_ok:
        app.stats.bump("token_refresh_failures")
        raise _token_error("Invalid client credentials")
    access, refresh = app.tokens.issue(old, ttl)
    app.stats.bump("token_refreshes")
    return 200, _token_body(access, refresh, ttl)


def location_token(ctx: Ctx) -> tuple[int, dict]:
    """POST /oauth/locationToken: a Company token mints a token for one of its locations."""
    body = (
        ctx.request.form()
        if "json" not in (ctx.request.header("content-type") or "")
        else ctx.body()
    )
    checks = Checks(body, strict=False)
    company_id = checks.string("companyId", required=True)
    location_id = checks.string("locationId", required=True)
    checks.done()
    token = ctx.token
    if company_id != token["company_id"]:
        raise errors.bad_request("companyId does not match the token")
    location = ctx.data.locations.get(location_id)
    if location is None or location_id not in token["approved_locations"]:
        raise errors.bad_request("The app is not installed on this location")
    grant = {
        **token,
        "user_type": "Location",
        "location_id": location_id,
        "approved_locations": [location_id],
    }
    ttl = ctx.config.access_token_ttl
    access, _ = ctx.app.tokens.issue(grant, ttl, with_refresh=False)
    creds = ctx.app.credentials
    return 200, {
        "access_token": access["token"],
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": " ".join(access["scopes"]),
        "locationId": location_id,
        "userId": access["user_id"],
        "appId": creds["app_id"],
        "versionId": creds["app_id"],
    }


def installed_locations(ctx: Ctx) -> tuple[int, dict]:
    checks = Checks({"companyId": ctx.arg("companyId"), "appId": ctx.arg("appId")}, strict=False)
    company_id = checks.string("companyId", required=True)
    app_id = checks.string("appId", required=True)
    checks.done()
    creds = ctx.app.credentials
    if company_id != ctx.token["company_id"]:
        raise errors.bad_request("companyId does not match the token")
    if app_id not in (creds["app_id"], creds["client_id"]):
        raise errors.bad_request("Unknown appId")
    locations = [
        {
            "_id": loc["id"],
            "name": loc["name"],
            "address": f"{loc['address']}, {loc['city']}, {loc['state']} {loc['postalCode']}",
            "isInstalled": True,
            "versionId": creds["app_id"],
            "installedAt": iso(1_730_714_400_000),
        }
        for loc in ctx.data.locations.values()
    ]
    return 200, {"locations": locations, "count": len(locations), "installToFutureLocations": False}


def token_response(app: Sandbox, request: Request) -> Response:
    """Wrap token() with traceId, as the other endpoints are."""
    try:
        status, body = token(app, request)
    except HTTPError as error:
        status, body = error.status, dict(error.payload)
    return json_response({**body, "traceId": app.trace_id()}, status)
