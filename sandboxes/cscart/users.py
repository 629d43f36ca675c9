"""The `users` and `usergroups` entities of the CS-Cart REST API, over the sandbox Store.

Faithful to `Tygh\\Api\\Entities\\Users` and `fn_get_users()` (4.1x):
- the list needs `user_type` (400 without it), pages with `page`/`items_per_page` and answers
  `{"users": [...], "params": {..., "total_items": "N"}}`; every number in a user row is a
  string; a page past the end comes back as the last page (`db_paginate`, a knob);
- `GET /users/<id>` answers the bare row, and for an unknown id a 200 with an empty
  `{"users": [], "params": ...}` envelope (the entity's own quirk; a knob makes it a 404);
- create answers 201 `{"user_id": N, "profile_id": N}` with real integers, update 200 with the
  same shape, delete 204 and no body;
- there is no "updated" timestamp: `timestamp` is the creation time and updates leave no trace;
- API 2.0 does not map `password` on create or update (`Tygh/Api/Entities/v20/Users.php`):
  it is ignored and the answer is the usual success. Only the admin panel (`/_control`) sets
  a password, and `storefront_login` tells whether one works.
"""

import hashlib
import math
import re
import time

from sandboxes.cscart import seed
from sandboxes.cscart.errors import api_error, required
from sandboxes.kit.store import Store

KIND = "user"
GROUP_KIND = "usergroup"
LIST_COLUMNS = (
    "user_id",
    "user_login",
    "is_root",
    "timestamp",
    "user_type",
    "status",
    "firstname",
    "lastname",
    "email",
    "company",
    "company_id",
    "phone",
)
TEXT_FIELDS = ("firstname", "lastname", "company", "phone", "user_login", "lang_code")
USER_TYPES = ("A", "C", "V")
STATUSES = ("A", "D", "H")
LINK_STATUSES = ("A", "P", "D", "F")  # active, pending, declined, "free" (not a member)
SORTINGS = {
    "id": lambda u: (u["user_id"],),
    "username": lambda u: (u["user_login"].lower(),),
    "email": lambda u: (u["email"].lower(),),
    "name": lambda u: (u["lastname"].lower(), u["firstname"].lower()),
    "date": lambda u: (u["timestamp"],),
    "type": lambda u: (u["user_type"],),
    "status": lambda u: (u["status"],),
    "phone": lambda u: (u["phone"],),
    "company": lambda u: (u["company"].lower(),),
}
LIKE_FILTERS = ("email", "user_login", "company", "phone")
ADDRESS_FILTERS = ("address", "zipcode", "city", "state", "country")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USER_EXISTS = "The username or email you have chosen already exists. Please try another one."


def user_id_of(raw: str) -> int:
    """CS-Cart's `isValidIdentifier`: anything but a positive integer is a 404."""
    if not raw.isdigit() or int(raw) == 0:
        raise api_error(404)
    return int(raw)


def row(user: dict, *, with_profile: bool = False) -> dict:
    """A user as the API prints it: every number a string, as MySQL hands them to PHP."""
    result = {
        key: None if user.get(key) is None else str(user.get(key, "")) for key in LIST_COLUMNS
    }
    result["company_name"] = seed.STORE_NAME if user.get("company_id") else None
    if with_profile:
        result.update({key: user["profile"].get(key, "") for key in seed.PROFILE_KEYS})
        result["fields"] = dict(user.get("fields") or {})
        result["usergroups"] = links(user)
    return result


def links(user: dict) -> dict | list:
    # A PHP hash keyed by usergroup_id; an empty PHP array encodes as [] (not {}).
    groups = user.get("usergroups") or {}
    return {gid: {"usergroup_id": gid, "status": st} for gid, st in sorted(groups.items())} or []


class Users:
    def __init__(self, store: Store, knobs):
        self.store = store
        self.knobs = knobs  # callable returning the current knobs

    # --- reads ------------------------------------------------------------------------------
    def find(self, user_id: int) -> dict | None:
        return self.store.get(KIND, str(user_id))

    def by_email(self, email: str) -> dict | None:
        wanted = email.strip().lower()
        return next((u for u in self.store.all(KIND) if u["email"].lower() == wanted), None)

    def list_page(self, query: dict[str, list[str]]) -> dict:
        arg = {key: values[0] for key, values in query.items() if values}
        knobs = self.knobs()
        if not arg.get("user_type") and knobs.require_user_type:
            raise required("user_type")
        users = [u for u in self.store.all(KIND) if _matches(u, arg, query)]
        sort_by = arg.get("sort_by") if arg.get("sort_by") in SORTINGS else "name"
        sort_order = "desc" if arg.get("sort_order") == "desc" else "asc"
        key = SORTINGS[sort_by]
        users.sort(key=lambda u: (*key(u), u["user_id"]), reverse=sort_order == "desc")
        per_page = _int(arg.get("items_per_page"))
        if per_page <= 0:
            per_page = knobs.default_items_per_page
        if knobs.max_items_per_page:
            per_page = min(per_page, knobs.max_items_per_page)
        per_page = max(per_page, 1)
        page = max(_int(arg.get("page")), 1)
        total = len(users)
        if knobs.clamp_page_past_end and total and (page - 1) * per_page >= total:
            page = math.ceil(total / per_page)
        chunk = users[(page - 1) * per_page : page * per_page]
        params = {
            **arg,
            "page": page,
            "items_per_page": per_page,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "sort_order_rev": "asc" if sort_order == "desc" else "desc",
            "total_items": str(total),
        }
        return {"users": [row(u) for u in chunk], "params": params}

    def get(self, raw_id: str) -> tuple[int, dict]:
        user = self.find(user_id_of(raw_id))
        if user is not None:
            return 200, row(user, with_profile=self.knobs().get_includes_profile)
        if self.knobs().missing_get_404:
            raise api_error(404)
        empty_params = {"user_id": raw_id, "page": 1, "total_items": "0"}
        return 200, {"users": [], "params": empty_params}

    # --- writes -----------------------------------------------------------------------------
    def create(self, data, *, admin_panel: bool = False) -> dict:
        if not isinstance(data, dict) or not data:
            raise api_error(405, messages=["The request must contain parameters"])
        problem = None
        if not data.get("email"):
            problem = "email"
        if not data.get("user_type"):
            problem = "user_type"
        if "company_id" not in data:
            problem = "company_id"
        if problem:  # the entity overwrites one message; the last failed check wins
            raise required(problem)
        user_id = self.store.get_meta("next_user_id", 1)
        user = {
            "user_id": user_id,
            "user_login": "",
            "is_root": "N",
            "timestamp": _timestamp(data.get("timestamp")),
            "user_type": "C",
            "status": "A",
            "firstname": "",
            "lastname": "",
            "email": "",
            "company": "",
            "company_id": 0,
            "phone": "",
            "lang_code": "en",
            "profile": {},
            "fields": {},
            "usergroups": {},
        }
        self._apply(user, data, admin_panel=admin_panel)
        self.store.set_meta("next_user_id", user_id + 1)
        self.store.put(KIND, str(user_id), user)
        return {"user_id": user_id, "profile_id": user_id}

    def update(self, raw_id: str, data, *, admin_panel: bool = False) -> dict:
        user_id = user_id_of(raw_id)
        if not isinstance(data, dict) or not data:
            raise api_error(405, messages=["The request must contain parameters"])
        user = self.find(user_id)
        if user is None:
            raise api_error(404, errors=["The user was not found"])
        self._apply(user, data, admin_panel=admin_panel)
        self.store.put(KIND, str(user_id), user)
        return {"user_id": user_id, "profile_id": user_id}

    def delete(self, raw_id: str) -> None:
        user = self.find(user_id_of(raw_id))
        if user is None:
            raise api_error(404)
        if user.get("is_root") == "Y":
            raise api_error(400, errors=["You cannot delete the root administrator"])
        self.store.delete(KIND, str(user["user_id"]))

    def _apply(self, user: dict, data: dict, *, admin_panel: bool) -> None:
        """Validate everything first (nothing is saved on an error), then change `user`.
        Fields CS-Cart does not know are ignored, as its docs say; so is `password`, unless
        the change is made in the admin panel."""
        changes = {k: data[k] for k in ("email", *TEXT_FIELDS) if k in data}
        changes = {k: _text(v).strip() for k, v in changes.items()}
        if "email" in changes and not EMAIL_RE.match(changes["email"]):
            raise api_error(400, errors=["The e-mail address is invalid"])
        if "user_type" in data:
            if data["user_type"] not in USER_TYPES:
                raise api_error(400, errors=[f"Unknown user type: {data['user_type']}"])
            changes["user_type"] = data["user_type"]
        if data.get("status"):
            if data["status"] not in STATUSES:
                raise api_error(400, errors=[f"Unknown status: {data['status']}"])
            changes["status"] = data["status"]
        if "company_id" in data:
            if not str(data["company_id"]).isdigit():
                raise api_error(400, errors=["company_id must be a number"])
            changes["company_id"] = int(data["company_id"])
        email = changes.get("email", user["email"])
        login = changes.get("user_login") or user["user_login"]
        for other in self.store.all(KIND):
            if other["user_id"] == user["user_id"]:
                continue
            if other["email"].lower() == email.lower() or (login and other["user_login"] == login):
                raise api_error(400, errors=[USER_EXISTS])
        profile = {k: _text(data[k]) for k in seed.PROFILE_KEYS if k in data}
        fields = data.get("fields")
        user.update(changes)
        user["profile"].update(profile)
        if isinstance(fields, dict):
            known = {str(k): str(v) for k, v in fields.items() if str(k) in seed.PROFILE_FIELDS}
            user["fields"].update(known)
        # fn_fill_contact_info_from_address: in the admin area, empty contact fields are
        # filled from the billing address.
        for key in ("firstname", "lastname", "phone"):
            if not user[key] and user["profile"].get(f"b_{key}"):
                user[key] = user["profile"][f"b_{key}"]
        if not user["user_login"]:
            user["user_login"] = f"user_{user['user_id']}"
        if admin_panel and data.get("password"):
            user["password_hash"] = _hash(str(data["password"]))  # never printed back

    def storefront_login(self, email: str, password: str) -> bool:
        """Would the storefront let this customer in with this password?"""
        user = self.by_email(email)
        stored = (user or {}).get("password_hash")
        return bool(stored) and stored == _hash(password)

    # --- usergroups -------------------------------------------------------------------------
    def usergroups(self, query: dict[str, list[str]]) -> list[dict]:
        arg = {key: values[0] for key, values in query.items() if values}
        result = []
        for group in sorted(self.store.all(GROUP_KIND), key=lambda g: int(g["usergroup_id"])):
            if arg.get("type") and group["type"] != arg["type"]:
                continue
            if arg.get("status") and group["status"] != arg["status"]:
                continue
            result.append(group)
        return result

    def usergroup(self, raw_id: str) -> dict:
        group = self.store.get(GROUP_KIND, raw_id)
        if group is None:
            raise api_error(404)
        return group

    def user_links(self, raw_id: str) -> dict | list:
        user = self.find(user_id_of(raw_id))
        if user is None:
            raise api_error(404)
        return links(user)

    def set_link(self, raw_id: str, raw_group: str, data) -> tuple[int, dict | None]:
        user = self.find(user_id_of(raw_id))
        if user is None:
            raise api_error(404)
        status = (data or {}).get("status") if isinstance(data, dict) else None
        if not status:
            raise required("status")
        group = self.store.get(GROUP_KIND, raw_group)
        if group is None or status not in LINK_STATUSES:
            raise api_error(400)
        if group["type"] == "A" and user["user_type"] not in ("A", "V"):
            raise api_error(400)
        if status == "F":
            user["usergroups"].pop(raw_group, None)
        else:
            user["usergroups"][raw_group] = status
        self.store.put(KIND, str(user["user_id"]), user)
        if status == "F":
            return 204, None
        return 200, {"message": "Status changed"}


def _hash(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def _text(value) -> str:
    return "" if value is None else str(value)


def _int(value) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def _timestamp(value) -> int:
    if value is not None and str(value).isdigit():
        return int(value)
    return int(time.time())


def _like(haystack: str, needle: str) -> bool:
    return needle.lower() in (haystack or "").lower()


def _matches(user: dict, arg: dict, query: dict[str, list[str]]) -> bool:
    if arg.get("user_type") and user["user_type"] != arg["user_type"]:
        return False
    if arg.get("status") and user["status"] != arg["status"]:
        return False
    ids = query.get("user_ids[]") or [i for v in query.get("user_ids", []) for i in v.split(",")]
    if ids and str(user["user_id"]) not in {i.strip() for i in ids}:
        return False
    group = arg.get("usergroup_id")
    if group and user["usergroups"].get(group) != "A":
        return False
    name = f"{user['firstname']} {user['lastname']}"
    if arg.get("compact") == "Y":
        # One search box over several columns: any may match.
        term = arg.get("name") or arg.get("email") or ""
        columns = (name, user["email"], user["user_login"], user["company"])
        return not term or any(_like(c, term) for c in columns)
    if arg.get("name") and not all(_like(name, word) for word in arg["name"].split()):
        return False
    for key in LIKE_FILTERS:
        if arg.get(key) and not _like(user[key], arg[key]):
            return False
    for key in ADDRESS_FILTERS:
        if arg.get(key):
            values = (user["profile"].get(f"b_{key}", ""), user["profile"].get(f"s_{key}", ""))
            if not any(_like(v, arg[key]) for v in values):
                return False
    return True
