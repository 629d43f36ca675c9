"""Which scopes each feature of a provider needs, what each scope is for, and what a
connection lacks.

A *feature* is something a person wants ContactBridge to do with a system (read contacts,
write them, list HighLevel's custom fields); it needs all of its scopes. A granted scope may
cover another (HighLevel's `contacts.write` also allows reads, as the sandbox and the
transport's own check treat it). The wizard shows every scope with its line; when a
connection lacks a feature's scope, `notice_for` says which and why, and the include
`integrations/_missing_scope.html` offers "Reconnect with this scope".

Sources: HighLevel's Contacts OpenAPI spec (every /contacts path, tasks, notes, tags and
appointments included, needs `contacts.readonly` or `contacts.write`: no calendars or tags
scope) and its Scopes page (`locations/customFields.readonly` for
GET /locations/{id}/customFields); Ecwid's customers reference; Orderspace's OAuth docs.
"""

from dataclasses import dataclass

from integrations import oauth_flow
from integrations.errors import MissingScopeError
from integrations.providers.registry import get_provider

READ = "read"
WRITE = "write"
CUSTOM_FIELDS = "custom_fields"


@dataclass(frozen=True)
class Scope:
    name: str
    explanation: str  # one line: what ContactBridge does with it


@dataclass(frozen=True)
class Feature:
    key: str
    label: str
    scopes: tuple[str, ...]  # all needed
    why: str  # what works with it, so a notice can say what is lost without it
    write: bool = False


# What each scope lets ContactBridge do, one line each, in the order they are asked for.
SCOPE_WORDS: dict[str, dict[str, str]] = {
    "highlevel": {
        "contacts.readonly": (
            "Read contacts and each contact's tasks, notes, tags and appointments."
        ),
        "contacts.write": "Create, update and delete contacts and their tasks, notes and tags.",
        "locations/customFields.readonly": (
            "List the sub-account's custom fields, so mappings can use them and each run "
            "can check they still exist."
        ),
        "locations/customFields.write": (
            "Change custom field definitions (not needed: reading them is enough)."
        ),
    },
    "ecwid": {
        "read_store_profile": "Read the store's name, for the connection test.",
        "read_customers": "Read customers, customer groups and the deleted-customers feed.",
        "create_customers": "Create customers.",
        "update_customers": "Update and delete customers (an update also needs read_customers).",
    },
    "orderspace": {
        "read": "Read customers.",
        "write": "Create and update customers.",
    },
}

# A granted scope (key) that also allows others (values).
COVERS: dict[str, dict[str, tuple[str, ...]]] = {
    "highlevel": {
        "contacts.write": ("contacts.readonly",),
        "locations/customFields.write": ("locations/customFields.readonly",),
    },
}

FEATURES: dict[str, tuple[Feature, ...]] = {
    "highlevel": (
        Feature(
            READ,
            "Read contacts",
            ("contacts.readonly",),
            "Flows read contacts, tasks, notes, tags and appointments with it.",
        ),
        Feature(
            WRITE,
            "Write contacts",
            ("contacts.write",),
            "Flows create and update contacts, tasks, notes and tags with it.",
            write=True,
        ),
        Feature(
            CUSTOM_FIELDS,
            "Custom fields",
            ("locations/customFields.readonly",),
            "Without it the mapping editor cannot list the sub-account's custom fields, "
            "and runs cannot check the mapped ones still exist.",
        ),
    ),
    "ecwid": (
        Feature(
            READ,
            "Read customers",
            ("read_store_profile", "read_customers"),
            "The connection test reads the store's name, and flows read customers with them.",
        ),
        Feature(
            WRITE,
            "Write customers",
            ("read_customers", "create_customers", "update_customers"),
            "Flows create, update and delete customers with them.",
            write=True,
        ),
    ),
    "orderspace": (
        Feature(READ, "Read customers", ("read",), "Flows read customers with it."),
        Feature(
            WRITE,
            "Write customers",
            ("write",),
            "Flows create and update customers with it.",
            write=True,
        ),
    ),
}


def explained(provider_key: str, scopes) -> tuple[Scope, ...]:
    """Each scope with its line ("" for one we have no words for)."""
    words = SCOPE_WORDS.get(provider_key, {})
    return tuple(Scope(name, words.get(name, "")) for name in scopes)


def feature(provider_key: str, key: str) -> Feature | None:
    return next((f for f in FEATURES.get(provider_key, ()) if f.key == key), None)


def _covered(provider_key: str, granted) -> set[str]:
    covers = COVERS.get(provider_key, {})
    have = set(granted)
    for scope in list(have):
        have.update(covers.get(scope, ()))
    return have


def missing_scopes(connection, feature_key: str) -> list[str]:
    """The scopes `connection` was not granted that the feature needs; [] when it has them,
    when the provider has no such feature, or when no scopes are recorded (a token made
    without saying: the system itself decides, and `notice_for` reads its refusal)."""
    wanted = feature(connection.provider, feature_key)
    if wanted is None or not connection.scopes:
        return []
    have = _covered(connection.provider, connection.scopes)
    return [scope for scope in wanted.scopes if scope not in have]


def grants_are_known(connection) -> bool:
    """True when connection.scopes are what the system granted (an OAuth token answer),
    not only what a person said a token was made with."""
    return bool(connection.scopes) and oauth_flow.is_oauth_connection(connection)


@dataclass(frozen=True)
class ScopeNotice:
    """A connection lacks the scopes a feature needs: what to tell the person."""

    connection: object  # integrations.models.Connection
    feature: Feature
    missing: tuple[Scope, ...]
    can_reconnect: bool  # an OAuth connection: consent again, asking for the scope too
    provider_message: str = ""  # the system's own refusal, when it said so

    @property
    def scope_names(self) -> str:
        return ", ".join(scope.name for scope in self.missing)

    @property
    def message(self) -> str:
        plural = "s" if len(self.missing) > 1 else ""
        return (
            f"“{self.connection}” lacks the {self.scope_names} scope{plural}. {self.feature.why}"
        ).strip()


def token_instructions(connection, wanted: Feature) -> str:
    """What to do when the connection's scopes are fixed where its token was made."""
    provider = get_provider(connection.provider)
    names = ", ".join(wanted.scopes)
    return (
        f"“{connection.name}” signs in with credentials made in {provider.name}, so a scope "
        f"is added there: give them {names} (or make new ones that have it), then enter "
        f"them here and test the connection."
    )


def notice_for(connection, feature_key: str, *, error: Exception | None = None):
    """A ScopeNotice when the connection lacks the feature's scopes: the system refused for
    want of a scope (`error`, a MissingScopeError), or the scopes it granted (OAuth) lack
    one. None otherwise: a token's recorded scopes are only what a person said it has."""
    wanted = feature(connection.provider, feature_key)
    if wanted is None:
        return None
    refused = isinstance(error, MissingScopeError)
    missing = missing_scopes(connection, feature_key)
    if refused and not missing:
        # Refused although the recorded scopes say yes: name what the feature needs.
        missing = list(wanted.scopes)
    elif not refused and not grants_are_known(connection):
        return None
    if not missing:
        return None
    provider = get_provider(connection.provider)
    return ScopeNotice(
        connection=connection,
        feature=wanted,
        missing=explained(connection.provider, missing),
        can_reconnect=oauth_flow.supports_oauth(provider)
        and oauth_flow.is_oauth_connection(connection),
        provider_message=str(error) if refused else "",
    )


def notices(connection) -> list[ScopeNotice]:
    """Every feature this connection was granted too few scopes for (connection pages).
    Writes are left out of a connection chosen to be read only: that is no shortfall."""
    read_only = connection.settings.get("access") == "read"
    wanted = [f for f in FEATURES.get(connection.provider, ()) if not (f.write and read_only)]
    found = (notice_for(connection, f.key) for f in wanted)
    return [notice for notice in found if notice is not None]
