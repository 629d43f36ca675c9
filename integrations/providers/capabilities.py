"""What a provider can do, as values the sync engine branches on, and in words for the UI.

Anything no public source documents is named in `Capabilities.inferred` (or stated as an
`assumption`): the UI labels it "inferred", and the sandbox makes it a knob.
"""

from dataclasses import dataclass, replace
from enum import StrEnum


class WordedEnum(StrEnum):
    """A value the code compares, with the words the UI shows for it (`member.words`)."""

    def __new__(cls, value: str, words: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.words = words
        return member


class PageStyle(WordedEnum):
    OFFSET = "offset", "offset and limit"
    PAGE = "page", "page numbers"
    CURSOR = "cursor", "a cursor (the last id)"
    KEYSET = "keyset", "keyset (sort value and id of the last record)"


class ChangeDetection(WordedEnum):
    """How a poll finds what changed since the last one."""

    UPDATED_SINCE = "updated_since", "asks for records changed since a time"
    FULL_COMPARISON = "full_comparison", "reads everything and compares with the last read"


class DeleteMode(WordedEnum):
    DELETE = "delete", "records are deleted"
    DEACTIVATE = "deactivate", "records are deactivated, never deleted"


class SignatureKind(WordedEnum):
    """How a provider's webhooks prove where they come from."""

    PUBLIC_KEY = "public_key", "a public-key signature"
    HMAC_BODY = "hmac_body", "an HMAC of the body with a shared key"
    HMAC_EVENT = "hmac_event", "an HMAC of the event's id and time with a shared key"
    SHARED_SECRET = "shared_secret", "a secret header or credentials we chose"
    READ_BACK = "read_back", "nothing: each one is confirmed by reading the record back"


@dataclass(frozen=True)
class RateLimit:
    requests: int  # allowed in one window
    window_seconds: float
    per: str  # what the limit counts: "location", "token", "account", "store"
    daily: int | None = None
    refusal: int = 429  # the status a refused request gets
    inferred: bool = False  # no public source documents it: a knob in the sandbox

    def describe(self) -> str:
        window = (
            "minute"
            if self.window_seconds == 60
            else "second"
            if self.window_seconds == 1
            else f"{self.window_seconds:g} s"
        )
        words = f"{self.requests:,} requests / {window} per {self.per}"
        if self.daily:
            words += f" and {self.daily:,} a day"
        return words + f"; refused with {self.refusal}"


@dataclass(frozen=True)
class Fact:
    """One capability in words, for the UI; `inferred` ones are labelled, never shown as fact."""

    label: str
    value: str
    inferred: bool = False


@dataclass(frozen=True)
class Capabilities:
    """What the sync engine may count on, as values it can branch on; `facts()` says it in
    words. Anything no public source documents is listed in `inferred` (field names)."""

    change_detection: ChangeDetection
    delete_mode: DeleteMode
    page_style: PageStyle
    max_page_size: int
    webhook_events: tuple[str, ...] = ()  # events it can push; () = none
    webhook_signature: SignatureKind | None = None
    incremental_filter: str = ""  # the API's "changed since" parameter, when it has one
    deleted_feed: bool = False  # can list what was deleted since a time
    upsert: bool = False  # one call that creates or updates by identity
    has_tags: bool = False
    has_notes: bool = False
    has_groups: bool = False  # customer groups / user groups / price tiers
    rate_limit: RateLimit | None = None
    inferred: tuple[str, ...] = ()
    # Behaviour we rely on that no public source documents, in words (always "inferred").
    assumptions: tuple[Fact, ...] = ()

    @property
    def sends_webhooks(self) -> bool:
        return bool(self.webhook_events)

    def facts(self) -> list[Fact]:
        def fact(label: str, value: str, name: str) -> Fact:
            return Fact(label, value, inferred=name in self.inferred)

        if self.webhook_events and self.change_detection is ChangeDetection.UPDATED_SINCE:
            arrival = f"webhooks ({', '.join(self.webhook_events)}) and polling for what changed"
        elif self.webhook_events:
            arrival = f"webhooks ({', '.join(self.webhook_events)}) and full comparison"
        elif self.change_detection is ChangeDetection.UPDATED_SINCE:
            arrival = "polling for what changed"
        else:
            arrival = "comparing everything (no webhooks, no “changed since” filter)"
        facts = [fact("Changes arrive by", arrival, "webhook_events")]
        if self.webhook_signature:
            facts.append(
                fact("Webhooks are checked by", self.webhook_signature.words, "webhook_signature")
            )
        since = (
            f"{self.change_detection.words} ({self.incremental_filter})"
            if self.incremental_filter
            else self.change_detection.words
        )
        facts.append(fact("Finding changes", since, "change_detection"))
        deleting = self.delete_mode.words + (
            "; deletions can be listed" if self.deleted_feed else ""
        )
        facts.append(fact("Deleting", deleting, "delete_mode"))
        extras = [
            name
            for name, present in (
                ("tags", self.has_tags),
                ("notes", self.has_notes),
                ("customer groups", self.has_groups),
            )
            if present
        ]
        facts.append(fact("Also syncs", ", ".join(extras) or "—", "has_tags"))
        facts.append(
            fact(
                "Pages",
                f"{self.page_style.words}, up to {self.max_page_size} a page",
                "max_page_size",
            )
        )
        facts.append(
            fact(
                "Rate limit",
                self.rate_limit.describe() if self.rate_limit else "none published",
                "rate_limit",
            )
        )
        facts.extend(replace(fact, inferred=True) for fact in self.assumptions)
        return facts
