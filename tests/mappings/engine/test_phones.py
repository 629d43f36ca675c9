"""The fast E.164 path must agree with phonenumbers wherever it answers."""

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from mappings.engine.phones import fast_e164, slow_e164, to_e164
from mappings.engine.problems import TransformError

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
TYPES = [getattr(PhoneNumberType, name) for name in dir(PhoneNumberType) if name.isupper()]


def slow_or_none(text, region):
    try:
        return slow_e164(text, region)
    except TransformError:
        return None


def spellings(number):
    yield phonenumbers.format_number(number, PhoneNumberFormat.E164)
    yield phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    yield phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    yield e164[:-1]  # one digit short
    yield e164 + "7"  # one digit long
    yield e164[:-1] + str((int(e164[-1]) + 3) % 10)


def example_numbers():
    for region in REGIONS:
        for kind in TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                yield region, number
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            yield "US", number


def test_fast_path_agrees_with_phonenumbers_on_every_example_number():
    answered = checked = 0
    for region, number in example_numbers():
        for text in spellings(number):
            for default_region in (region, "US", "GB"):
                fast = fast_e164(text, default_region)
                checked += 1
                if fast is not None:
                    answered += 1
                    assert fast == slow_e164(text, default_region), (text, default_region)
    # The fast path must actually carry the load, or the benchmark figure is not honest.
    assert answered > checked // 4, (answered, checked)


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("+14155550123", "US", "+14155550123"),
        ("+1 (415) 555-0123", "US", "+14155550123"),
        ("(415) 555.0123", "US", "+14155550123"),
        ("2079460958", "GB", "+442079460958"),
        ("+39 06 1234 5678", "US", "+390612345678"),  # Italian leading zero kept
    ],
)
def test_fast_path_common_spellings(text, region, expected):
    assert fast_e164(text, region) == expected


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("011 44 20 7946 0958", "US"),  # an IDD prefix
        ("0044 20 7946 0958", "GB"),
        ("+1 800 FLOWERS", "US"),  # letters
        ("+1 415 555 0123 ext 5", "US"),
    ],
)
def test_spellings_parse_might_rewrite_are_left_to_phonenumbers(text, region):
    assert fast_e164(text, region) is None
    assert to_e164(text, region) == slow_e164(text, region)


@settings(max_examples=600, deadline=None)
@given(
    st.from_regex(r"\A\+?[0-9][0-9 ().-]{1,18}\Z"),
    st.sampled_from(["US", "GB", "DE", "IT", "AU", "CA", "IN", "BR", "FR", "JP"]),
)
def test_fast_path_never_disagrees_on_random_input(text, region):
    fast = fast_e164(text, region)
    if fast is not None:
        assert fast == slow_or_none(text, region)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=999), st.integers(min_value=10**5, max_value=10**12))
def test_fast_path_never_disagrees_on_random_country_numbers(code, national):
    text = f"+{code}{national}"
    fast = fast_e164(text, "US")
    if fast is not None:
        assert fast == slow_or_none(text, "US")


# Arabic-Indic and fullwidth digits: phonenumbers reads them, the output must be ASCII.
OTHER_DIGITS = "".join(chr(c) for c in [*range(0x660, 0x66A), *range(0xFF10, 0xFF14)])


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="+0123456789 -()." + OTHER_DIGITS, min_size=1, max_size=20))
def test_other_scripts_digits_never_come_out_of_the_fast_path(text):
    fast = fast_e164(text, "US")
    if fast is not None:
        assert fast.isascii()
        assert fast == slow_or_none(text, "US")


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("020 7946 0958", "GB", "+442079460958"),  # national prefix 0: parse strips it
        ("1-415-555-0123", "US", "+14155550123"),  # national prefix (and country code) 1
        ("1 (212) 555-0100", "CA", "+12125550100"),  # Canada reads NANP numbers the same way
        ("0044 20 7946 0958", "GB", None),  # IDD prefix: left to phonenumbers
    ],
)
def test_national_prefix_and_country_code_are_read_as_parse_reads_them(text, region, expected):
    assert fast_e164(text, region) == expected
    assert to_e164(text, region) == slow_e164(text, region)


# Default regions that are not their country code's main region read national prefixes
# their own way (Guernsey, Jersey, Isle of Man under +44; Canada, Jamaica under +1...).
ALL_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


@settings(max_examples=1500, deadline=None)
@given(
    st.from_regex(r"\A[0-9][0-9 ().-]{2,18}\Z"),
    st.sampled_from(ALL_REGIONS),
)
def test_national_numbers_agree_for_every_default_region(text, region):
    fast = fast_e164(text, region)
    if fast is not None:
        assert fast == slow_or_none(text, region)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(ALL_REGIONS), st.data())
def test_numbers_written_with_prefixes_agree(region, data):
    """National prefix or country code first, then a plausible national number: the inputs
    the rewrite handles, so that it is exercised, not just reached."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    starts = [str(metadata.country_code)]
    if metadata.national_prefix:
        starts.append(metadata.national_prefix)
    start = data.draw(st.sampled_from(starts))
    rest = data.draw(st.from_regex(r"\A[0-9]{4,12}\Z"))
    separator = data.draw(st.sampled_from(["", " ", "-", " (", "."]))
    text = start + separator + rest
    fast = fast_e164(text, region)
    if fast is not None:
        assert fast == slow_or_none(text, region)


def test_prefixed_spellings_of_every_example_number_agree():
    """Every region's example numbers written nationally, with the country code but no "+",
    and with a stray national prefix, read with their own and with other default regions
    (some of them not their code's main region): where the fast path answers, it is
    phonenumbers' answer, and it answers often enough to matter."""
    answered = 0
    for region, number in example_numbers():
        nsn = phonenumbers.national_significant_number(number)
        code = str(number.country_code)
        texts = [
            phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
            code + nsn,
            f"{code} {nsn}",
            f"{code}-{nsn[:-1]}",
            "0" + nsn,
            "1" + nsn,
        ]
        for text in texts:
            for default_region in (region, "US", "GB", "CA", "GG", "IT"):
                fast = fast_e164(text, default_region)
                if fast is not None:
                    answered += 1
                    assert fast == slow_or_none(text, default_region), (text, default_region)
    assert answered > 5000, answered


# Real stores hold numbers no carrier has issued yet (unassigned area codes and exchanges):
# libphonenumber calls them "possible but not valid". They are written, as E.164.
@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("+16663941405", "US", "+16663941405"),  # area code 666 is not assigned
        ("+1 286 217 6025", "US", "+12862176025"),
        ("(211) 555-1234", "US", "+12115551234"),
        ("1-211-555-1234", "US", "+12115551234"),
        ("+44 20 1234 567", "US", "+44201234567"),
        ("+84 4 1000 000", "US", "+8441000000"),
    ],
)
def test_possible_but_not_valid_numbers_are_accepted_as_e164(text, region, expected):
    assert not phonenumbers.is_valid_number(phonenumbers.parse(text, region))
    assert to_e164(text, region) == expected
    assert slow_e164(text, region) == expected


@pytest.mark.parametrize(
    ("text", "region", "reason"),
    [
        ("555", "US", "too few digits"),
        ("+1 415 555 0123 4567", "US", "too many digits"),
        ("5550123", "US", "a local number without its area code"),
        ("+999 1234567", "US", "no country has the calling code"),
        ("call me", "US", "not a phone number"),
    ],
)
def test_impossible_numbers_are_refused_with_a_reason(text, region, reason):
    with pytest.raises(TransformError, match=reason) as error:
        to_e164(text, region)
    assert f"“{text}”" in str(error.value) and repr(text) not in str(error.value)


def test_a_national_prefix_after_the_country_code_is_left_to_phonenumbers():
    # parse takes Vietnam's national prefix 0 off "+84 0…"; the fast path must not answer.
    assert fast_e164("+8401000000", "US") is None
    assert to_e164("+8401000000", "US") == "+841000000"


def test_the_fast_path_vouches_for_possible_numbers_too():
    assert fast_e164("+16663941405", "US") == "+16663941405"
    assert fast_e164("(211) 555-1234", "US") == "+12115551234"
    assert fast_e164("5550123", "US") is None  # local only: phonenumbers says why
