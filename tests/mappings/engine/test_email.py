"""The e-mail transform's fast path must answer exactly as the full check does.

`reference_normalise_email` is the validator as it was before the fast path was widened
(kept here verbatim, its own one-regex shortcut included), so these tests compare the
engine against an independent copy, not against itself.
"""

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mappings.engine.problems import TransformError
from mappings.engine.transforms import BuildContext, build_transform
from mappings.engine.transforms.contact import _common_address, normalise_email
from mappings.engine.transforms.registry import shown  # messages quote values as people do

_REF_LOCAL = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+(\.[\w!#$%&'*+/=?^`{|}~-]+)*")
_REF_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_REF_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_REF_COMMON = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


def reference_normalise_email(text: str) -> str:
    address = text.strip().lower()
    if len(address) <= 254 and _REF_COMMON.fullmatch(address) and address.index("@") <= 64:
        return address
    if address.startswith("mailto:"):
        address = address[len("mailto:") :]
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise TransformError(f"not an e-mail address: {shown(text)}")
    if len(local) > 64 or len(address) > 254 or _REF_LOCAL.fullmatch(local) is None:
        raise TransformError(f"not a valid e-mail address (the part before @): {shown(text)}")
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise TransformError(f"not a valid e-mail domain: {shown(text)}") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_REF_LABEL.fullmatch(label) for label in labels):
        raise TransformError(f"not a valid e-mail domain: {shown(text)}")
    if _REF_TLD.fullmatch(labels[-1]) is None:
        raise TransformError(f"not a valid e-mail domain: {shown(text)}")
    return address


def reference_email_transform(value):
    if value is None:
        return None
    if not isinstance(value, str):
        raise TransformError(f"an e-mail address must be text, not {type(value).__name__}")
    if not value.strip():
        return None
    return reference_normalise_email(value)


_EMAIL = build_transform("email", {}, BuildContext())


def EMAIL(value):
    return _EMAIL(value, None)


def outcome(function, value):
    try:
        return ("value", function(value))
    except TransformError as exc:
        return ("error", str(exc))


# Characters that matter to either check: every allowed local character, the separators,
# case, whitespace, non-ASCII letters (local parts and IDNA domains), and characters
# neither check allows.
ALPHABET = (
    "abcxyzABCXYZ0189_%+-.@!#$&'*/=?^`{|}~ \t\n:;,<>\"()[]\\"
    "éÉßøüİıǅΣσ中文ä\u212a\u00a0\u2028\u0660²"
)
LABEL = st.from_regex(r"\A[a-zA-Z0-9éü-]{0,70}\Z")
LOCAL = st.from_regex(r"\A[\w.!#$%&'*+/=?^`{|}~-]{0,70}\Z")
TLD = st.sampled_from(["com", "io", "c", "COM", "xn--p1ai", "co1", "a" * 63, "a" * 64, ""])


@st.composite
def address_like(draw):
    local = draw(LOCAL)
    labels = draw(st.lists(LABEL, min_size=0, max_size=4))
    domain = ".".join([*labels, draw(TLD)])
    text = f"{local}@{domain}"
    if draw(st.booleans()):
        text = draw(st.sampled_from(["", " ", "\t", "mailto:", "MAILTO:"])) + text
    if draw(st.booleans()):
        text += draw(st.sampled_from(["", " ", "\n", "@", "."]))
    return text


@settings(max_examples=1500, deadline=None)
@given(st.one_of(address_like(), st.text(alphabet=ALPHABET, max_size=40), st.emails()))
@example("Olivia.Smith.1@Example.com")
@example("josé.müller.2@example.com")
@example("\u212aate@example.com")  # KELVIN SIGN lower-cases to ASCII k
@example("a@" + "b" * 63 + ".com")  # a 63-letter label: fine, but the domain is > 63 long
@example("a@" + "b" * 64 + ".com")  # a 64-letter label: invalid
@example("a" * 64 + "@example.com")
@example("a" * 65 + "@example.com")
@example("a@b-.com")
@example("a@-b.com")
@example("a@b--c.com")
@example("a@b.c")
@example("a..b@example.com")
@example(".a@example.com")
@example("a@example..com")
@example("a@münchen.de")
def test_email_transform_answers_as_the_reference_validator(text):
    assert outcome(EMAIL, text) == outcome(reference_email_transform, text)
    assert outcome(normalise_email, text) == outcome(reference_normalise_email, text)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(address_like(), st.emails(), st.text(alphabet=ALPHABET, max_size=40)))
def test_fast_path_only_vouches_for_addresses_the_full_check_accepts(text):
    address = text.strip().lower()
    if _common_address(address):
        assert reference_normalise_email(text) == address


def test_fast_path_carries_the_common_addresses():
    # Accented names are common in real stores; they must not fall to the four-regex check.
    for address in ["olivia.smith.1@example.com", "josé.müller.2@example.com", "a_b+c@x-y.co"]:
        assert _common_address(address), address


@pytest.mark.parametrize("value", [None, "", "   "])
def test_blank_is_no_value(value):
    assert EMAIL(value) is None


@pytest.mark.parametrize("value", [42, ["a@b.com"], {"email": "a@b.com"}])
def test_non_text_is_a_problem(value):
    with pytest.raises(TransformError, match="must be text"):
        EMAIL(value)
