"""Phone numbers to E.164 with `phonenumbers`, plus an exact fast path.

What is accepted: every *possible* number (a length its country's numbers can have), not
only the *valid* ones (in a range a carrier has been given). Real stores and the sandboxes
hold numbers in unassigned area codes and exchanges; refusing them would drop real
customers' phones. Refused, with the reason: text that is no phone number, an unknown country
code, too few or too many digits, and a local number without its area code (its E.164 form
would be wrong).

`phonenumbers.parse` + its checks cost about 20 µs, which alone would cap a mapping at
50,000 records/s. So for the common spellings ("+1 415-555-0123", "(415) 555-0123": digits
with ASCII spaces, dashes, dots and brackets) we check against the same phonenumbers
metadata ourselves: the same country-code extraction, the same region choice, the same per-
type patterns and, for numbers no pattern takes, phonenumbers' own length test. A national
number that starts with a national prefix or the country code ("020 7946 0958",
"1-415-555-0123") is read by parse's own steps for that case, called as they are. Anything
else parse might rewrite (an international prefix, a national prefix after "+<code>") goes
the slow way, as does every number the fast path does not accept. So the fast path only ever
answers with the string phonenumbers itself would give.
tests/mappings/engine/test_phones.py holds the two paths to the same answers.
"""

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, ValidationResult
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from mappings.engine.problems import TransformError

_TYPE_DESCS = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
)
_NON_GEO = "001"


def _applies(desc, length: int) -> bool:
    """Whether phonenumbers' `_is_number_matching_desc` would try this desc's pattern on a
    number of this length (a desc without lengths takes any length)."""
    if desc is None or not desc.national_number_pattern:
        return False
    return not desc.possible_length or length in desc.possible_length


class _RegionRules:
    """`_number_type_helper(nsn) != UNKNOWN` for one region, as one regex per number length:
    the general pattern as a lookahead, then the alternatives of every type pattern that
    applies at that length. fullmatch backtracks through the alternatives, so it matches
    exactly when phonenumbers' checks, one pattern at a time, would find a type."""

    def __init__(self, metadata):
        self.metadata = metadata
        # length -> the pattern's fullmatch, or None when no type takes that length. The
        # fast path reads this dict directly and calls `matcher` only for a new length.
        self.matchers: dict[int, Callable[[str], Any] | None] = {}
        self.leading_digits = (
            re.compile(metadata.leading_digits) if metadata.leading_digits else None
        )

    def _pattern(self, length: int) -> re.Pattern | None:
        metadata = self.metadata
        if not _applies(metadata.general_desc, length):
            return None
        descs = [getattr(metadata, name) for name in _TYPE_DESCS]
        if not metadata.same_mobile_and_fixed_line_pattern:
            descs.append(metadata.mobile)
        types = [d.national_number_pattern for d in descs if _applies(d, length)]
        if not types:
            return None
        general = metadata.general_desc.national_number_pattern
        alternatives = "|".join(f"(?:{pattern})" for pattern in types)
        return re.compile(f"(?=(?:{general})\\Z)(?:{alternatives})")

    def matcher(self, length: int) -> Callable[[str], Any] | None:
        if length not in self.matchers:
            pattern = self._pattern(length)
            self.matchers[length] = None if pattern is None else pattern.fullmatch
        return self.matchers[length]


_UNBUILT = object()
_countries: dict[int, tuple] = {}
# "44" -> 44: the country code at the start of an international number, looked up as text.
_CODES = {str(code): code for code in COUNTRY_CODE_TO_REGION_CODE}


def _country(country_code: int) -> tuple:
    """("+<code>", national prefix test or None, ((leading digits match or None, matchers,
    rules), ...) per region, the main region's metadata) for a country calling code, built
    on first use."""
    cached = _countries.get(country_code)
    if cached is not None:
        return cached
    regions = COUNTRY_CODE_TO_REGION_CODE[country_code]
    main = phonenumbers.region_code_for_country_code(country_code)
    main_meta = PhoneMetadata.metadata_for_region_or_calling_code(country_code, main)
    prefix = None
    if main_meta is not None and main_meta.national_prefix_for_parsing:
        pattern = main_meta.national_prefix_for_parsing
        # Not `pattern.startswith`: that asks whether the prefix starts with the number.
        prefix = re.compile(pattern).match
    rules = []
    for region in regions:
        if region == _NON_GEO:
            metadata = PhoneMetadata.metadata_for_nongeo_region(country_code, None)
        else:
            metadata = PhoneMetadata.metadata_for_region(region, None)
        if metadata is not None:
            rules.append(_RegionRules(metadata))
    if len(rules) == 1:
        # phonenumbers takes a country's only region without looking at its leading digits.
        entries = ((None, rules[0].matchers, rules[0]),)
    else:
        # _region_code_for_number_from_list: the first region whose leading digits match
        # decides; a region without leading digits is taken when the number is valid there.
        entries = tuple(
            (None if r.leading_digits is None else r.leading_digits.match, r.matchers, r)
            for r in rules
        )
    cached = _countries[country_code] = (f"+{country_code}", prefix, entries, main_meta)
    return cached


@cache
def _region(region: str):
    """(country code, IDD prefix pattern or None, national prefix test or None, metadata)
    for a default region."""
    metadata = PhoneMetadata.metadata_for_region(region, None)
    if metadata is None:
        return None, None, None, None
    idd = re.compile(metadata.international_prefix) if metadata.international_prefix else None
    national_prefix = None
    if metadata.national_prefix_for_parsing:
        national_prefix = re.compile(metadata.national_prefix_for_parsing).match
    return metadata.country_code, idd, national_prefix, metadata


def _strip_punctuation(text: str) -> str:
    # Chained str.replace beats str.translate several times over for short strings.
    return text.replace(" ", "").replace("-", "").replace("(", "").replace(")", "").replace(".", "")


def fast_e164(text: str, region: str = "US") -> str | None:
    """The E.164 form if the fast path can vouch for it, else None (None means "ask
    phonenumbers", never "invalid"). Takes "+<country><number>" and, for `region`, national
    numbers that phonenumbers would not rewrite (no IDD prefix, no national prefix, not
    starting with the country code). ASCII only: phonenumbers also reads other scripts'
    digits, and those must come out as ASCII, so they take the slow path."""
    return fast_path(region)(text)


@cache
def fast_path(region: str):
    """fast_e164 for one default region, as a function of the text alone: the region's
    country code and IDD prefix are looked up once, not per number."""
    code, idd, national_prefix, metadata = _region(region)
    idd_match = None if idd is None else idd.match
    code_text = str(code)
    codes = _CODES
    countries = _countries
    strip = _strip_punctuation

    def fast(text: str) -> str | None:
        if not text or len(text) > 32 or not text.isascii():
            return None
        if text[0] == "+":
            digits = text[1:]
            if not digits.isdigit():
                if not text[1:2].isdigit():
                    return None
                digits = strip(digits)
                if not digits.isdigit():
                    return None
            if not 3 <= len(digits) <= 15 or digits[0] == "0":
                return None
            # phonenumbers tries one-, two- and three-digit country codes in that order.
            country_code = codes.get(digits[0])
            if country_code is not None:
                nsn = digits[1:]
            else:
                country_code = codes.get(digits[:2])
                if country_code is not None:
                    nsn = digits[2:]
                else:
                    country_code = codes.get(digits[:3])
                    if country_code is None:
                        return None
                    nsn = digits[3:]
        else:
            nsn = text
            if not nsn.isdigit():
                if text[0] not in "0123456789(":
                    return None
                nsn = strip(text)
                if not nsn.isdigit():
                    return None
            if code is None or not 2 <= len(nsn) <= 15:
                return None
            if idd_match is not None and idd_match(nsn):
                return None  # phonenumbers might read an international prefix
            if nsn.startswith(code_text) or (national_prefix is not None and national_prefix(nsn)):
                # "1-415-555-0123", "020 7946 0958": parse may take the country code or the
                # national prefix off; it is worked out as parse does it.
                return _national_rewritten(nsn, region, metadata)
            country_code = code
        if len(nsn) < 2:
            return None
        country = countries.get(country_code) or _country(country_code)
        if country[1] is not None and country[1](nsn):
            return None  # parse might strip a national prefix here: let phonenumbers decide
        return _e164_if_possible(country, nsn)

    return fast


def _e164_if_possible(country: tuple, nsn: str) -> str | None:
    """ "+<code><nsn>" if slow_e164 would accept the number (valid, or of a possible
    length), else None: the slow path then gives phonenumbers' answer and reason."""
    plus_code, _prefix, entries, main_meta = country
    length = len(nsn)
    for leading, matchers, region_rules in entries:
        if leading is not None and leading(nsn) is None:
            continue
        fullmatch = matchers.get(length, _UNBUILT)
        if fullmatch is _UNBUILT:
            fullmatch = region_rules.matcher(length)
        if fullmatch is not None and fullmatch(nsn) is not None:
            return plus_code + nsn
        if leading is not None:
            break  # the region its leading digits chose says invalid
    # Not valid: is_possible_number_with_reason is this length test on the country's main
    # region (only IS_POSSIBLE is accepted; "local only" is refused by the slow path).
    if (
        main_meta is not None
        and _test_number_length is not None
        and _test_number_length(nsn, main_meta) == ValidationResult.IS_POSSIBLE
    ):
        return plus_code + nsn
    return None


try:
    # parse's own steps for a national number, used as they are (they are what parse runs):
    # taking off a national prefix or carrier code, the general pattern, the length test.
    from phonenumbers.phonenumberutil import (
        _match_national_number,
        _maybe_strip_national_prefix_carrier_code,
        _test_number_length,
    )

    _KEEP_PREFIX = (
        ValidationResult.TOO_SHORT,
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
        ValidationResult.INVALID_LENGTH,
    )
except ImportError:  # another phonenumbers: such numbers all take the slow path
    _maybe_strip_national_prefix_carrier_code = None
    _test_number_length = None


def _national_rewritten(digits: str, region: str, metadata) -> str | None:
    """phonenumbers.parse(digits, region) + is_valid_number + E.164, for ASCII digits that
    parse reads without an international prefix, following parse step by step
    (_maybe_extract_country_code's default-country branch, then the national prefix)."""
    if _maybe_strip_national_prefix_carrier_code is None or len(digits) < 3:
        return None  # with two digits parse's viability test depends on the punctuation
    code = metadata.country_code
    code_text = str(code)
    nsn = None
    if digits.startswith(code_text):
        general = metadata.general_desc
        potential = _maybe_strip_national_prefix_carrier_code(digits[len(code_text) :], metadata)[1]
        if (
            not _match_national_number(digits, general, False)
            and _match_national_number(potential, general, False)
        ) or _test_number_length(digits, metadata) == ValidationResult.TOO_LONG:
            nsn = potential  # read as the country code and a national number
            main_region = phonenumbers.region_code_for_country_code(code)
            if main_region != region:
                metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, main_region)
    if nsn is None:
        nsn = digits
    if len(nsn) < 2:
        return None  # parse says "too short": its own message, from the slow path
    potential = _maybe_strip_national_prefix_carrier_code(nsn, metadata)[1]
    if _test_number_length(potential, metadata) not in _KEEP_PREFIX:
        nsn = potential
    if not 2 <= len(nsn) <= 17:
        return None
    return _e164_if_possible(_countries.get(code) or _country(code), nsn)


# Why parse refused a text, and why a parsed number is impossible, as a person would say it.
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "no country has the calling code it starts with",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too few digits after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too few digits for a phone number",
    NumberParseException.TOO_LONG: "too many digits for a phone number",
}
_LENGTH_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "no country has the calling code +{code}",
    ValidationResult.TOO_SHORT: "too few digits for a +{code} ({region}) number",
    ValidationResult.TOO_LONG: "too many digits for a +{code} ({region}) number",
    ValidationResult.INVALID_LENGTH: "no +{code} ({region}) number has that many digits",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: (
        "a local number without its area code: add the area code (read as {region})"
    ),
}


def slow_e164(text: str, region: str) -> str:
    """phonenumbers' own answer: E.164 for a valid or possible number; raises
    TransformError saying why for anything else."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, "not a phone number")
        raise TransformError(f"{reason}: “{text}”") from None
    if not phonenumbers.is_valid_number(number):
        result = phonenumbers.is_possible_number_with_reason(number)
        if result != ValidationResult.IS_POSSIBLE:
            code = number.country_code
            main = phonenumbers.region_code_for_country_code(code)
            reason = _LENGTH_REASONS.get(result, "not a possible phone number ({region})")
            shown = region if result == ValidationResult.IS_POSSIBLE_LOCAL_ONLY else main
            raise TransformError(f"{reason.format(code=code, region=shown)}: “{text}”")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_slow_cache: dict[tuple[str, str], str | TransformError] = {}
_SLOW_CACHE_SIZE = 20_000


def to_e164(text: str, region: str) -> str:
    """E.164 for `text`, reading numbers without a country code as `region`'s."""
    fast = fast_e164(text, region)
    if fast is not None:
        return fast
    return slow_e164_cached(text, region)


def slow_e164_cached(text: str, region: str) -> str:
    """slow_e164, remembering the answers for texts seen recently (for a text the fast path
    has already declined)."""
    key = (text, region)
    cached = _slow_cache.get(key)
    if cached is None:
        try:
            cached = slow_e164(text, region)
        except TransformError as exc:
            # Keep the message, not the exception: its traceback's frames would hold the
            # caller's whole stack (records, pages) alive for as long as the cache entry.
            cached = TransformError(str(exc))
        if len(_slow_cache) >= _SLOW_CACHE_SIZE:
            _slow_cache.clear()  # a simple bound; phone texts repeat within a run, not across
        _slow_cache[key] = cached
    if isinstance(cached, TransformError):
        raise TransformError(str(cached))
    return cached
