import pytest

from mappings.engine import TransformError, transform_catalogue
from mappings.engine.problems import SkipRule
from mappings.engine.transforms import REGISTRY, ArgError, BuildContext, build_transform

CONTEXT = BuildContext(default_region="US", timezone="UTC")


def run(name, value, record=None, context=CONTEXT, **args):
    return build_transform(name, args, context)(value, record or {})


def examples():
    for info in REGISTRY.values():
        for number, example in enumerate(info.examples):
            yield pytest.param(info.name, example, id=f"{info.name}-{number}")


@pytest.mark.parametrize(("name", "example"), list(examples()))
def test_every_documented_example_is_what_the_transform_does(name, example):
    fn = build_transform(name, example.get("args", {}), CONTEXT)
    if "error" in example:
        with pytest.raises(TransformError, match=example["error"]):
            fn(example["input"], example.get("record", {}))
    else:
        assert fn(example["input"], example.get("record", {})) == example["output"]


def test_catalogue_lists_every_transform_with_label_args_and_an_example():
    catalogue = {entry["name"]: entry for entry in transform_catalogue()}
    assert set(catalogue) == set(REGISTRY)
    for entry in catalogue.values():
        assert entry["label"] and entry["description"] and entry["examples"]
    assert {a["name"] for a in catalogue["regex_replace"]["args"]} == {
        "pattern",
        "replacement",
        "flags",
    }


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("nope", {}, "unknown transform"),
        ("trim", {"extra": 1}, "unknown arg “extra”"),
        ("regex_replace", {}, "“pattern” is required"),
        ("regex_replace", {"pattern": "(unclosed"}, "not a valid regular expression"),
        ("regex_replace", {"pattern": "a", "replacement": r"\2"}, "not valid for this pattern"),
        ("regex_replace", {"pattern": "a", "flags": "x"}, "may only contain"),
        ("split_name", {"part": "middle"}, "must be one of"),
        ("phone", {"region": "XX"}, "not a known phone region"),
        ("date", {"to_timezone": "Mars/Olympus"}, "not a known time zone"),
        ("date", {"output": "weekday"}, "strftime pattern"),
        ("value_map", {"table": {}, "fallback": "value"}, "fallback_value"),
        ("value_map", {"table": "a=b"}, "must be an object"),
        ("to_boolean", {"true_values": ["y"], "false_values": ["Y"]}, "overlap"),
        ("template", {"template": "{first"}, "unmatched"),
        ("default", {}, "exactly one"),
        ("first_non_empty", {"fields": []}, "non-empty list of field paths"),
        ("string_to_list", {"separator": ""}, "must not be empty"),
    ],
)
def test_bad_args_are_refused_with_the_reason(name, args, message):
    with pytest.raises(ArgError, match=message):
        build_transform(name, args, CONTEXT)


def test_trim_case_and_none_passes_through():
    assert run("trim", "  a   b \n") == "a b"
    assert run("trim", " para one\n\npara  two ") == "para one\n\npara two"
    assert run("trim", ["  x ", "y"]) == ["x", "y"]
    assert run("trim", None) is None
    assert run("upper", ["gb", "ie"]) == ["GB", "IE"]
    assert run("lower", None) is None
    with pytest.raises(TransformError, match="needs text"):
        run("upper", {"a": 1})


def test_regex_replace_groups_and_flags():
    assert run(
        "regex_replace", "Flat 3", pattern=r"flat (\d+)", replacement=r"Apt \1", flags="i"
    ) == ("Apt 3")


def test_template_renders_fields_and_gives_none_when_all_are_empty():
    assert run("template", None, {"a": "x"}, template="{a}-{b}") == "x-"
    assert run("template", None, {}, template="{a} {b}") is None
    assert run("template", None, {}, template="{{literal}}") == "{literal}"
    with pytest.raises(TransformError, match="into text"):
        run("template", None, {"a": ["list"]}, template="{a}")


def test_split_name_handles_particles_commas_and_single_words():
    assert run("split_name", "Cher", part="first") == "Cher"
    assert run("split_name", "Cher", part="last") is None
    assert run("split_name", "Lee, Ann", part="first") == "Ann"
    assert run("split_name", "José de la Cruz", part="last") == "de la Cruz"
    assert run("split_name", "   ", part="first") is None


def test_value_map_fallbacks():
    table = {"1": "wholesale", "2": "vip"}
    assert run("value_map", 1, table=table) == "wholesale"
    assert run("value_map", "VIP ", table={"vip ": "x"}, ignore_case=True) == "x"
    assert run("value_map", 9, table=table, fallback="pass") == 9
    assert run("value_map", 9, table=table, fallback="value", fallback_value="other") == "other"
    with pytest.raises(SkipRule, match="no entry for “9”"):
        run("value_map", 9, table=table, fallback="skip")
    with pytest.raises(TransformError, match="no entry for “9”"):
        run("value_map", 9, table=table)
    assert run("value_map", [1, 2], table=table) == ["wholesale", "vip"]
    assert run("value_map", ["x", 2], table=table, list="first_match") == "vip"
    with pytest.raises(SkipRule, match="no entries yet"):
        run("value_map", "x", table={}, fallback="skip")


def test_first_non_empty_and_join():
    record = {"a": " ", "b": "B", "c": "C"}
    assert run("first_non_empty", None, record, fields=["a", "b"]) == "B"
    assert run("first_non_empty", "own", record, fields=["b"]) == "own"
    assert run("first_non_empty", None, {}, fields=["a"]) is None
    assert run("join", "x", record, fields=["a", "c"], separator="/") == "x/C"
    assert run("join", None, {}, fields=["a"]) is None


def test_lists_and_tags():
    assert run("list_to_string", ["a", "", 3]) == "a, 3"
    assert run("list_to_string", []) is None
    assert run("string_to_list", "a;b; ;", separator=";") == ["a", "b"]
    assert run("to_tags", "Wholesale") == ["Wholesale"]
    groups = {"4": {"usergroup_id": "4", "status": "A"}, "6": {"usergroup_id": "6", "status": "D"}}
    assert run("to_tags", groups, key="usergroup_id", status="A", prefix="g-") == ["g-4"]
    with pytest.raises(TransformError, match="no “name” key"):
        run("to_tags", [{"id": 1}])
    assert run("as_list", "note") == ["note"]


def test_email_normalises_and_rejects():
    assert run("email", " Ann@Example.COM ") == "ann@example.com"
    assert run("email", "josé@bücher.de") == "josé@bücher.de"
    assert run("email", "   ") is None
    for bad in ["ann", "ann@localhost", "a..b@x.com", "ann@-x.com", "@x.com", "a b@x.com"]:
        with pytest.raises(TransformError):
            run("email", bad)
    with pytest.raises(TransformError, match="must be text"):
        run("email", 5)


def test_phone_uses_the_rule_region_then_the_connection_default():
    assert run("phone", "020 7946 0958", region="GB") == "+442079460958"
    gb = BuildContext(default_region="GB")
    assert run("phone", "020 7946 0958", context=gb) == "+442079460958"
    assert run("phone", 4155550123) == "+14155550123"
    with pytest.raises(TransformError, match="too many digits"):
        run("phone", "020 7946 0958")  # read as a US number it has a digit too many
    with pytest.raises(TransformError):
        run("phone", "call me")
    with pytest.raises(TransformError, match="must be text"):
        run("phone", True)


def test_numbers_booleans_and_text():
    assert run("to_number", "5000") == 5000
    assert run("to_number", " $1,250.00 ") == 1250
    assert run("to_number", 2.5) == 2.5
    assert run("to_number", "") is None
    with pytest.raises(TransformError, match="whole number"):
        run("to_number", "2.5", integer=True)
    for bad in [True, "1e400", "nan", [1], "1.2.3"]:
        with pytest.raises(TransformError):
            run("to_number", bad)
    assert run("to_boolean", "N") is False
    assert run("to_boolean", 1) is True
    assert run("to_boolean", "si", true_values=["si"], false_values=["no"]) is True
    assert run("to_string", True) == "true"
    assert run("to_string", 12.5) == "12.5"
    with pytest.raises(TransformError):
        run("to_string", {"a": 1})


def test_dates_parse_platform_formats_and_convert_zones():
    assert run("date", "2024-03-01T10:00:00Z", output="datetime") == "2024-03-01T10:00:00+00:00"
    assert run("date", "1591234567") == "2020-06-04"
    assert run("date", 1591234567, output="unix") == 1591234567
    assert run(
        "date", "03/01/2024 23:30:00", output="datetime", from_timezone="America/New_York"
    ) == ("2024-03-02T04:30:00+00:00")
    assert run("date", "2024-03-01", output="%d.%m.%Y") == "01.03.2024"
    assert run("date", "01.03.2024", input_formats=["%d.%m.%Y"]) == "2024-03-01"
    assert run("date", "2024-03-01", output="datetime", to_timezone="Asia/Tokyo") == (
        "2024-03-01T09:00:00+09:00"
    )
    with pytest.raises(TransformError, match="not a date"):
        run("date", "yesterday")
    with pytest.raises(TransformError):
        run("date", 10**20)
