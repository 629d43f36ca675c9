"""What every provider gives the rest of the app: one typed description and its parts.

A provider package (`integrations/providers/<key>/`) builds one `Provider` in `provider.py`
from its own modules — client, auth, webhook verifier, field catalogue, explorer operations
and record adapters — and `registry.py` lists them. Nothing else builds module paths or probes
for attributes: what a provider can do is an attribute here, typed, or `None`.

The sync engine talks to a system only through `RecordAdapter`s (one per object type) and the
`ChangeEvent`s they parse from webhooks; docs/providers.md explains the contract.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from integrations.providers.capabilities import Capabilities

if TYPE_CHECKING:
    from integrations.models import Connection
    from integrations.providers.cursors import Cursor, Reading
    from integrations.transport import DailyQuota


# --- Describing a provider -----------------------------------------------------------------


@dataclass(frozen=True)
class CredentialField:
    key: str
    label: str
    help_text: str = ""
    secret: bool = True  # secret fields are write-only: never rendered back into a form
    required: bool = True
    # A name as the system shows it ("30 days", "Tax Exempt"), not a key: spaces are fine.
    free_text: bool = False


@dataclass(frozen=True)
class FieldSpec:
    """One field of a provider's record, for the mapping editor's pickers."""

    path: str  # dotted path in the normalised record ("billing.city"), see RecordAdapter
    label: str
    type: str  # string, email, phone, number, integer, boolean, date, datetime, list, object
    read_only: bool = False
    required: bool = False  # needed to create a record
    custom: bool = False  # a user-defined field (HighLevel custom field, Cin7 AdditionalAttribute)
    choices: tuple[str, ...] = ()
    help_text: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class AccountInfo:
    """What a client's `check()` learned from one cheap real call: proof the credentials work."""

    name: str  # the store / account / location name, as the provider shows it
    account_id: str = ""
    details: dict[str, Any] = field(default_factory=dict)  # scopes granted, plan, currency...


# --- Webhooks ------------------------------------------------------------------------------


class WebhookRejected(Exception):
    """A webhook that fails verification; `reason` is the counter it is stored under."""

    def __init__(self, reason: str, message: str, *, status: int | None = None):
        super().__init__(message)
        self.reason = reason
        # A body we cannot read is the sender's mistake (400); anything else is a delivery
        # that failed to prove where it comes from (401).
        self.status = status or (400 if reason == "malformed" else 401)


@dataclass(frozen=True)
class VerifiedEvent:
    event_id: str  # the provider's delivery/event id, the de-duplication key
    event_type: str
    payload: dict | list
    connections: list  # the Connections it is for (several workspaces may share an account)
    # True when the sender cannot prove itself and the worker must confirm the event by
    # reading the record back (Shift4Shop) before anything acts on it.
    needs_confirmation: bool = False


# --- The record contract -------------------------------------------------------------------


class ObjectType(StrEnum):
    """What a record is. A platform's customer is a CONTACT: the person the sync is about."""

    CONTACT = "contact"
    TASK = "task"
    NOTE = "note"


class ChangeAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


@dataclass(frozen=True)
class ChangeEvent:
    """One change in one system, as every trigger (webhook, poll, reconciliation) reports it."""

    connection_id: int
    object_type: ObjectType
    external_id: str
    action: ChangeAction
    occurred_at: datetime | None = None
    event_id: str = ""  # the provider's event id, when it sent one
    record: dict | None = None  # the normalised record, when the webhook carried all of it


@dataclass(frozen=True)
class DeletedRecord:
    external_id: str
    deleted_at: datetime | None = None


_SPACES = re.compile(r"\s+")


def normalise_email(value: Any) -> str:
    """E-mail as every system compares it: trimmed, lower case; "" when there is none."""
    if not isinstance(value, str):
        return ""
    text = _SPACES.sub("", value).lower()
    return text if "@" in text else ""


def normalise_phone(value: Any, region: str = "US") -> str:
    """A phone number as E.164 when it parses as a possible number, else its bare digits
    (with a leading + kept): real stores hold numbers that are possible but not "valid"."""
    if not isinstance(value, str | int) or not str(value).strip():
        return ""
    import phonenumbers  # imported here: only matching needs it

    text = str(value).strip()
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = re.sub(r"\D", "", text)
    if not digits:
        return ""
    return ("+" if text.startswith("+") else "") + digits


@dataclass(frozen=True)
class Identity:
    """Who a record is, for first-time matching: normalised e-mail, then phone."""

    email: str = ""
    phone: str = ""

    def __bool__(self) -> bool:
        return bool(self.email or self.phone)


@dataclass(frozen=True)
class UpsertResult:
    record: dict
    created: bool


class RecordAdapter(ABC):
    """One object type of one connected system, as the sync engine sees it.

    Records are plain JSON-ready dicts in the provider's own field names — the shape the
    field catalogue, samples and previews use (`to_record`). Every method raises the typed
    errors of `integrations.errors`; a record that is not there raises `NotFoundError`.

    Reads:
    - `list_changed(cursor)` returns a `Reading`: iterate it for `(record, cursor_after_it)`,
      then take `.cursor` for where the read ended. Start with `new_cursor()` (everything)
      and save each cursor with the work it covers; the next read yields every record
      changed since, at least once, and never a record twice for the same change. The
      overlap window, time precision and de-duplication live in the cursor.
    - `list_deleted(cursor)` yields `(DeletedRecord, cursor)` where the system can tell.
    Writes: `create`, `update`, `upsert` (when `capabilities.upsert`), `delete` or
    `deactivate` per the system's delete mode. A create that timed out may have happened:
    `find(identity)` before creating again.
    """

    object_type: ObjectType
    label: str = "record"  # what the system calls it, in words ("customer", "contact")
    # The fields of the normalised record that identify a person, in matching order.
    identity_fields: tuple[str, ...] = ("email", "phone")
    phone_region: str = "US"

    def __init__(self, connection: Connection, client=None):
        self.connection = connection
        self.client = client if client is not None else self.build_client(connection)

    @staticmethod
    @abstractmethod
    def build_client(connection: Connection): ...

    # reads
    @abstractmethod
    def new_cursor(self) -> Cursor: ...

    @abstractmethod
    def cursor_from_json(self, data: Mapping) -> Cursor: ...

    @abstractmethod
    def list_changed(self, cursor: Cursor) -> Reading: ...

    def list_deleted(self, cursor: Cursor) -> Iterator[tuple[DeletedRecord, Cursor]]:
        return iter(())

    def estimate_total(self) -> int | None:
        """How many records a full read would yield, from one cheap call, for progress and
        ETAs; None when the system does not say. Only an estimate: records come and go."""
        details = self.client.check().details or {}
        for key in ("customers", "contacts", "total"):
            if isinstance(details.get(key), int):
                return details[key]
        return None

    @abstractmethod
    def get(self, external_id: str) -> dict: ...

    @abstractmethod
    def find(self, identity: Identity) -> list[dict]:
        """Records matching the identity: by e-mail first, then by phone if none matched."""

    # writes
    @abstractmethod
    def create(self, payload: dict) -> dict: ...

    @abstractmethod
    def update(self, external_id: str, payload: dict) -> dict: ...

    def upsert(self, payload: dict) -> UpsertResult:
        raise NotImplementedError(f"{type(self).__name__} has no upsert")

    def delete(self, external_id: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot delete")

    def deactivate(self, external_id: str) -> dict:
        raise NotImplementedError(f"{type(self).__name__} cannot deactivate")

    # shapes
    @abstractmethod
    def to_record(self, obj) -> dict:
        """The client's object as the normalised JSON-ready dict."""

    @abstractmethod
    def id_of(self, record: Mapping) -> str: ...

    def updated_of(self, record: Mapping) -> datetime | None:
        return None

    @abstractmethod
    def identity_of(self, record: Mapping) -> Identity: ...

    def parse_event(self, event) -> list[ChangeEvent]:
        """The changes one stored webhook event (`integrations.models.WebhookEvent`) reports
        for this object type; [] for events about other things."""
        return []

    # budget
    def daily_quota(self) -> DailyQuota | None:
        """The system's daily request allowance as its latest answer to this adapter's client
        told it; None for systems without a daily cap, or before the first answer."""
        return getattr(getattr(self.client, "transport", None), "daily", None)


# --- OAuth and sandboxes -------------------------------------------------------------------


@dataclass(frozen=True)
class OAuthParts:
    """The authorization-code round trip of a provider that offers one."""

    authorization_url: Callable[..., str]
    exchange_code: Callable[..., Any]  # -> a grant with access/refresh tokens and expiry
    credentials_from_grant: Callable[..., dict]
    settings_from_grant: Callable[[Any], dict] | None = None
    # How the wizard names the two ways of connecting (Orderspace: public vs private).
    words: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SandboxEntry:
    """A local copy of a provider's API, registered by the `sandboxes` app when it is there."""

    app_class: type
    # The sandbox's /_describe answer -> (credentials, settings) of a Connection to it.
    connection_values: Callable[[dict], tuple[dict, dict]]


# --- The provider ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    description: str  # what it is, in a sentence
    auth_kind: str  # "oauth2", "oauth2_client_credentials", "token", "basic", "api_key"
    where_to_find: str  # where the user gets the credentials, in the provider's own words
    capabilities: Capabilities
    client: type  # Class(connection[, **transport_options]) with check() -> AccountInfo
    field_catalogue: Callable[..., list[FieldSpec]]  # (connection or None) -> FieldSpec list
    credential_fields: tuple[CredentialField, ...] = ()
    setting_fields: tuple[CredentialField, ...] = ()  # non-secret settings (store URL, ids)
    docs_url: str = ""
    scopes: tuple[str, ...] = ()
    has_account_fields: bool = False  # the catalogue reads the account's own (custom) fields
    oauth: OAuthParts | None = None
    refresh_token: Callable[..., str] | None = None  # (connection, rejected_token=) -> token
    verify_webhook: Callable[[bytes, Mapping], VerifiedEvent] | None = None
    # Confirms a READ_BACK webhook in the worker: (connection, payload) -> payload it vouches
    # for, or raises WebhookRejected.
    confirm_webhook: Callable[..., Any] | None = None
    explorer_operations: tuple = ()  # integrations.explorer_operations.Operation
    adapters: Mapping[ObjectType, type[RecordAdapter]] = field(default_factory=dict)

    def adapter(self, object_type: ObjectType, connection: Connection, **kwargs) -> RecordAdapter:
        try:
            adapter_class = self.adapters[ObjectType(object_type)]
        except (KeyError, ValueError):
            raise UnknownObjectType(
                f"{self.name} has no {object_type} records to sync "
                f"(it has: {', '.join(sorted(self.adapters)) or 'none'})."
            ) from None
        return adapter_class(connection, **kwargs)


class UnknownProvider(LookupError):
    pass


class UnknownObjectType(LookupError):
    pass
