"""`GET /metrics` for Prometheus (diagnostics.metrics says what it counts and why from the
database). Scrapers have no session, so this is not behind login: a bearer token from
settings.METRICS_TOKEN guards it instead. With no token set, the endpoint does not exist
(404 for every method), so a fresh install shows nothing to anyone."""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from prometheus_client import CONTENT_TYPE_LATEST

from diagnostics.metrics import metrics_text


def _bearer_token(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def metrics(request):
    expected = getattr(settings, "METRICS_TOKEN", "")
    if not expected:
        raise Http404
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    # Compared as bytes: compare_digest refuses str with non-ASCII characters, and the
    # header is whatever the caller sent.
    if not hmac.compare_digest(_bearer_token(request).encode(), expected.encode()):
        response = HttpResponse(
            "A bearer token is required.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
