"""E-mail and phone transforms."""

import re
from typing import Any

from mappings.engine.phones import fast_path, slow_e164_cached, to_e164
from mappings.engine.problems import TransformError
from mappings.engine.templates import to_text
from mappings.engine.transforms.registry import Arg, BuildContext, register, shown

_LOCAL = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+(\.[\w!#$%&'*+/=?^`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")


# The addresses almost all records have, as one regex: a strict subset of what the full
# check below accepts (the same local part, an ASCII domain), so most addresses take this
# one regex instead of four. Every quantifier is possessive, so a failing address is
# rejected without backtracking: a label is alphanumeric runs joined by hyphens (so it
# neither starts nor ends with one) and the top-level domain is letters only. Label lengths
# are not counted here: the caller takes only domains of at most 63 characters, which no
# label can then exceed. tests/mappings/engine/test_email.py holds this path to the full
# check.
_COMMON = re.compile(
    r"[\w!#$%&'*+/=?^`{|}~-]++(?:\.[\w!#$%&'*+/=?^`{|}~-]++)*+"
    r"@(?:[a-z0-9]++(?:-++[a-z0-9]++)*+\.)++[a-z]{2,63}"
)
_common = _COMMON.fullmatch


def _common_address(address: str) -> bool:
    """Whether the fast path vouches for an already trimmed, lower-cased address."""
    if _common(address) is None:
        return False
    at = address.find("@")
    return at <= 64 and len(address) - at <= 64


def normalise_email(text: str) -> str:
    """Trimmed and lower-cased; raises TransformError unless it is a plausible address."""
    address = text.strip().lower()
    if _common_address(address):
        return address
    return _checked(text, address)


def _checked(text: str, address: str) -> str:
    """The full check of a trimmed, lower-cased address (IDNA domains, every allowed local
    character, the length limits)."""
    if address.startswith("mailto:"):
        address = address[len("mailto:") :]
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise TransformError(f"not an e-mail address: {shown(text)}")
    if len(local) > 64 or len(address) > 254 or _LOCAL.fullmatch(local) is None:
        raise TransformError(f"not a valid e-mail address (the part before @): {shown(text)}")
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise TransformError(f"not a valid e-mail domain: {shown(text)}") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise TransformError(f"not a valid e-mail domain: {shown(text)}")
    if _TLD.fullmatch(labels[-1]) is None:
        raise TransformError(f"not a valid e-mail domain: {shown(text)}")
    return address


@register(
    "email",
    "E-mail address",
    "Trims and lower-cases an e-mail address and checks it is valid; an invalid address is a "
    "problem, never written.",
    [
        {"input": "  Ann.Lee@Example.COM ", "output": "ann.lee@example.com"},
        {"input": "ann.lee@", "error": "not an e-mail address"},
    ],
)
def build_email(args: dict, context: BuildContext):
    def email(value: Any, record: Any) -> Any:
        if value.__class__ is str:
            # normalise_email inlined for plain text, the common case.
            address = value.strip().lower()
            if _common(address) is not None:
                at = address.find("@")
                if at <= 64 and len(address) - at <= 64:
                    return address
            if not address:
                return None
            return _checked(value, address)
        if value is None:
            return None
        if not isinstance(value, str):
            raise TransformError(f"an e-mail address must be text, not {type(value).__name__}")
        if not value.strip():
            return None
        return normalise_email(value)

    return email


@register(
    "phone",
    "Phone number (E.164)",
    "Formats a phone number as E.164 (+14155550123). Numbers without a country code are read "
    "in the region given here, else the connection's default region. Any number of a length "
    "its country uses is written, even in a range no carrier has yet; one that cannot be a "
    "phone number (too short or long, an unknown country code, no area code) is a problem, "
    "never written.",
    [
        {"input": "(415) 555-0123", "args": {"region": "US"}, "output": "+14155550123"},
        {"input": "020 7946 0958", "args": {"region": "GB"}, "output": "+442079460958"},
        {"input": "(211) 555-1234", "args": {"region": "US"}, "output": "+12115551234"},
        {"input": "555", "args": {"region": "US"}, "error": "too few digits"},
    ],
    args=(Arg("region", "region", help="two-letter region for numbers without +country"),),
)
def build_phone(args: dict, context: BuildContext):
    region = (args["region"] or context.default_region).upper()
    fast = fast_path(region)

    def phone(value: Any, record: Any) -> Any:
        if value is None:
            return None
        if value.__class__ is str:
            if value:
                e164 = fast(value)
                if e164 is not None:
                    return e164
                if not value.strip():
                    return None
                return slow_e164_cached(value, region)
        elif isinstance(value, bool) or not isinstance(value, int):
            raise TransformError(f"a phone number must be text, not {type(value).__name__}")
        text = to_text(value)
        if not text.strip():
            return None
        return to_e164(text, region)

    return phone
