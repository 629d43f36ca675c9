"""A CS-Cart store's users (customers) and user groups, one typed method per operation.

What the platform allows, and what this client does about it:
- No "changed since" filter and no updated timestamp: every sync is a full read compared by
  content (hash) on our side. `iter_customers(updated_since=...)` refuses rather than pretend.
  What is *new* can be read cheaply (`iter_customers_created_since`), because `timestamp` is
  the creation time.
- Paging is page/items_per_page (offset) over a live table. The full scan sorts by user_id
  ascending, so users created during the scan land after the cursor and are read; rows
  already returned are skipped by id, so a shift never repeats a record; and when
  `params.total_items` shrinks between two pages (users before the cursor were deleted, moving
  unread rows onto pages already read) the scan steps back far enough to re-cover them.
  What CS-Cart cannot let us guarantee: a deletion and a creation between the same two page
  requests leave the total unchanged and can hide one shifted row from this pass; the next
  full pass reads it.
- A page past the end is answered with the last page again (`db_paginate`), so the scan stops
  on `total_items` and on the page CS-Cart says it served, never on "an empty page".
- Only customers (`user_type=C`) are read or written: the store's administrators are never
  updated or deleted through this client, even given an administrator's id.
- Passwords cannot be set through API 2.0: it ignores `password` on create and update and
  still answers success. `CustomerInput` refuses a password with that reason, so this
  client never sends one.
Reference: https://docs.cs-cart.com/latest/developer_guide/api/entities/users.html
(docs/providers/cscart.md lists the facts relied on).
"""

import math
from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import urlsplit

from integrations.errors import ConfigError, NotFoundError, PermanentError, ValidationFailedError
from integrations.models import Connection
from integrations.providers.base import AccountInfo
from integrations.providers.cscart.schemas import (
    CUSTOMER,
    CustomerInput,
    User,
    UserGroup,
    UserGroupLink,
    WriteResult,
)
from integrations.providers.cscart.transport import CsCartTransport

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500  # CS-Cart documents no cap; this keeps one page's PHP request reasonable
DEFAULT_COMPANY_ID = 1  # the default storefront of CS-Cart (Ultimate edition)


class CustomerExistsError(ValidationFailedError):
    """CS-Cart refused a create because the e-mail is taken. `existing` is the customer that
    holds it, when it is a customer: link to it rather than create. This is also what a create
    whose first attempt timed out *after* the store saved it looks like on the retry."""

    def __init__(self, message: str, *, existing: User | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.existing = existing


def _user_path(user_id) -> str:
    text = str(user_id).strip()
    if not text.isdigit() or int(text) == 0:
        raise NotFoundError(f"{user_id!r} is not a CS-Cart user id (they are positive numbers).")
    return f"/users/{int(text)}"


def _int(value) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


class CsCartClient:
    def __init__(self, connection: Connection, **transport_options):
        self.connection = connection
        self.transport = CsCartTransport(connection, **transport_options)

    def _get(self, path: str, **params):
        return self.transport.request("GET", path, params=params or None)

    def _write(self, method: str, path: str, body: dict | None = None):
        return self.transport.request(method, path, write=True, json=body)

    @property
    def company_id(self) -> int:
        return _int(self.connection.settings.get("company_id")) or DEFAULT_COMPANY_ID

    # --- connection test ------------------------------------------------------------------------
    def check(self) -> AccountInfo:
        """One list request for a single customer: proves the e-mail/API key and the
        "view users" privilege the sync needs, and learns the storefront's name."""
        body = self._get("/users", user_type=CUSTOMER, items_per_page=1)
        rows, meta = self._envelope(body)
        host = urlsplit(self.transport.base_url).netloc
        name = (rows[0].get("company_name") if rows else None) or host
        details = {"api_url": self.transport.base_url, "customers": _int(meta.get("total_items"))}
        return AccountInfo(name=name, account_id=host, details=details)

    # --- reading ------------------------------------------------------------------------------
    def iter_customers(
        self, *, updated_since: datetime | None = None, page_size: int | None = None
    ) -> Iterator[User]:
        """Every customer, oldest id first, one page in memory at a time."""
        if updated_since is not None:
            raise ConfigError(
                "CS-Cart's API has no modified-since filter (a user's only timestamp is its "
                "creation time), so changes are found by a full comparison: call "
                "iter_customers() without updated_since."
            )
        last_id = 0

        def is_new(row: dict) -> bool:
            nonlocal last_id
            user_id = _int(row.get("user_id"))
            if user_id <= last_id:
                return False
            last_id = user_id
            return True

        params = {"user_type": CUSTOMER, "sort_by": "id", "sort_order": "asc"}
        for row in self._scan(params, page_size, is_new):
            yield User.model_validate(row)

    def iter_customers_created_since(
        self, since: datetime, *, page_size: int | None = None
    ) -> Iterator[User]:
        """Customers created at or after `since` (aware), newest first. Inclusive on purpose:
        `timestamp` has whole seconds, and a strict ">" skips users created in the cursor's
        own second. Callers de-duplicate by id."""
        if since.tzinfo is None:
            raise ConfigError("`since` must be timezone-aware (CS-Cart timestamps are UTC).")
        cutoff = math.floor(since.timestamp())
        seen: set[str] = set()

        def is_new(row: dict) -> bool:
            key = str(row.get("user_id"))
            if key in seen:
                return False
            seen.add(key)
            return True

        params = {"user_type": CUSTOMER, "sort_by": "date", "sort_order": "desc"}
        for row in self._scan(params, page_size, is_new):
            if _int(row.get("timestamp")) < cutoff:
                return
            yield User.model_validate(row)

    def find_customers_by_email(self, email: str) -> list[User]:
        """Exact (case-insensitive) e-mail matches; CS-Cart's `email` filter is a LIKE."""
        wanted = email.strip().lower()
        body = self._get("/users", user_type=CUSTOMER, email=email.strip(), items_per_page=50)
        rows, _ = self._envelope(body)
        return [User.model_validate(r) for r in rows if (r.get("email") or "").lower() == wanted]

    def search_customers(self, *, page_size: int | None = None, **filters: str) -> list[User]:
        """Every customer matching CS-Cart's list filters (`phone`, `name`, ...; LIKE
        matches: callers check what they get)."""
        params = {"user_type": CUSTOMER, "sort_by": "id", "sort_order": "asc", **filters}
        seen: set[str] = set()

        def is_new(row: dict) -> bool:
            key = str(row.get("user_id"))
            if key in seen:
                return False
            seen.add(key)
            return True

        return [User.model_validate(r) for r in self._scan(params, page_size, is_new)]

    def _scan(
        self, params: dict, page_size: int | None, is_new: Callable[[dict], bool]
    ) -> Iterator[dict]:
        size = max(1, min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))
        page, total_before, first_before = 1, None, None
        while True:
            body = self._get("/users", **params, page=page, items_per_page=size)
            rows, meta = self._envelope(body)
            total = _int(meta.get("total_items"))
            if total_before is not None and total < total_before and page > 1:
                # Users before the cursor were deleted: unread rows moved up by as many
                # places, possibly onto pages already read. Step back to cover the shift.
                page = max(1, page - math.ceil((total_before - total) / size))
                total_before, first_before = total, None
                continue
            first = rows[0].get("user_id") if rows else None
            if page > 1 and first is not None and first == first_before:
                raise PermanentError(
                    f"CS-Cart answered page {page} with the same users as the page before: "
                    "the store (or an add-on) ignores the `page` parameter, so reading would "
                    "never end. Check the store's API add-ons."
                )
            yield from (row for row in rows if is_new(row))
            served = _int(meta.get("page")) or page
            if not rows or served < page or page * size >= total:
                return
            page, total_before, first_before = page + 1, total, first

    @staticmethod
    def _envelope(body) -> tuple[list[dict], dict]:
        if not isinstance(body, dict) or not isinstance(body.get("users"), list):
            raise PermanentError(
                "CS-Cart's user list did not have the expected {users, params} shape."
            )
        meta = body.get("params")
        return body["users"], meta if isinstance(meta, dict) else {}

    def get_customer(self, user_id) -> User:
        body = self._get(_user_path(user_id))
        # For an unknown id CS-Cart answers 200 with an empty list envelope, not a 404.
        if not isinstance(body, dict) or "user_id" not in body:
            raise NotFoundError(f"CS-Cart has no user {user_id}.", status=404)
        user = User.model_validate(body)
        if not user.is_customer:
            raise NotFoundError(
                f"CS-Cart user {user_id} is not a customer (user type {user.user_type}); "
                "ContactBridge never reads or changes the store's administrators.",
                status=404,
            )
        return user

    # --- writing ------------------------------------------------------------------------------
    def create_customer(self, data: CustomerInput) -> User:
        """POST /users (201 {"user_id", "profile_id"}), then read the new customer back."""
        body = data.payload()
        if not body.get("email"):
            raise ValidationFailedError(
                "CS-Cart needs an e-mail to create a customer.", messages=["email is required"]
            )
        body = {"company_id": self.company_id, **body, "user_type": CUSTOMER}
        try:
            result = WriteResult.model_validate(self._write("POST", "/users", body))
        except ValidationFailedError as error:
            if not any("already exists" in m for m in error.messages):
                raise
            found = self.find_customers_by_email(body["email"])
            raise CustomerExistsError(
                str(error),
                existing=found[0] if found else None,
                messages=error.messages,
                status=error.status,
            ) from None
        return self.get_customer(result.user_id)

    def update_customer(self, user_id, data: CustomerInput) -> User:
        """PUT only the fields set on `data`; the answer has only ids, so read it back."""
        self.get_customer(user_id)  # refuses administrators and unknown ids before writing
        body = data.payload()
        if body:
            self._write("PUT", _user_path(user_id), body)
        return self.get_customer(user_id)

    def delete_customer(self, user_id) -> None:
        """Deletes for good (CS-Cart has no trash): 204, or 200 {"message": "Ok"} on old 4.x."""
        self.get_customer(user_id)
        self._write("DELETE", _user_path(user_id))

    # --- user groups --------------------------------------------------------------------------
    def list_usergroups(self) -> list[UserGroup]:
        """Customer groups (the reserved Guest/Registered groups are never listed)."""
        groups = self._get("/usergroups", type=CUSTOMER)
        return [UserGroup.model_validate(g) for g in (groups or [])]

    def customer_usergroups(self, user_id) -> list[UserGroupLink]:
        self.get_customer(user_id)
        links = self._get(f"{_user_path(user_id)}/usergroups")
        # A PHP hash keyed by group id, or [] when the customer is in no group.
        items = links.values() if isinstance(links, dict) else (links or [])
        return [UserGroupLink.model_validate(link) for link in items]

    def add_to_usergroup(self, user_id, usergroup_id, *, status: str = "A") -> None:
        path = f"{_user_path(user_id)}/usergroups/{_int(usergroup_id)}"
        self._write("PUT", path, {"status": status})

    def remove_from_usergroup(self, user_id, usergroup_id) -> None:
        self._write("DELETE", f"{_user_path(user_id)}/usergroups/{_int(usergroup_id)}")
