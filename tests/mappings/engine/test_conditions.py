import pytest

from mappings.engine import TransformError, operator_catalogue
from mappings.engine.conditions import ConditionSpecError, compile_condition


def check(condition, record, previous=None):
    fn, _ = compile_condition(condition)
    return fn(record, previous)


@pytest.mark.parametrize("operator", operator_catalogue(), ids=lambda op: op["name"])
def test_every_documented_example_holds(operator):
    example = operator["example"]
    field = next(iter(example["record"]))
    leaf = {"field": field, "op": operator["name"]}
    if example.get("value") is not None:
        leaf["value"] = example["value"]
    assert check(leaf, example["record"], example.get("previous")) is example["result"]


@pytest.mark.parametrize(
    ("leaf", "record", "expected"),
    [
        ({"op": "equals", "value": "Wholesale"}, {"v": " wholesale"}, True),
        ({"op": "equals", "value": "Wholesale", "ignore_case": False}, {"v": "wholesale"}, False),
        ({"op": "equals", "value": 5000}, {"v": "5000.0"}, True),
        ({"op": "equals", "value": 5000}, {"v": "lots"}, False),
        ({"op": "equals", "value": True}, {"v": 1}, False),
        ({"op": "not_equals", "value": "x"}, {}, True),
        ({"op": "contains", "value": "vip"}, {"v": ["VIP", "b"]}, True),
        ({"op": "contains", "value": "shop"}, {"v": "MyShop Ltd"}, True),
        ({"op": "contains", "value": "x"}, {"v": None}, False),
        ({"op": "in_list", "value": ["1", "2"]}, {"v": 2}, True),
        ({"op": "in_list", "value": ["a"]}, {}, False),
        ({"op": "not_in_list", "value": ["a"]}, {}, False),
        ({"op": "is_empty"}, {"v": []}, True),
        ({"op": "is_empty"}, {"v": 0}, False),
        ({"op": "greater_than", "value": 5000}, {"v": "5000"}, False),
        ({"op": "greater_than", "value": 5000}, {}, False),
        ({"op": "less_or_equal", "value": "10"}, {"v": 9.5}, True),
    ],
)
def test_leaf_operators(leaf, record, expected):
    assert check({"field": "v", **leaf}, record) is expected


def test_and_or_not_groups_and_description():
    condition = {
        "and": [
            {"field": "group", "op": "equals", "value": "Wholesale"},
            {
                "or": [
                    {"field": "limit", "op": "greater_than", "value": 5000},
                    {"not": {"field": "tags", "op": "is_empty"}},
                ]
            },
        ]
    }
    fn, text = compile_condition(condition)
    assert fn({"group": "Wholesale", "limit": 6000}, None)
    assert fn({"group": "Wholesale", "tags": ["x"]}, None)
    assert not fn({"group": "Wholesale", "limit": 10}, None)
    assert not fn({"group": "Retail", "limit": 6000}, None)
    assert text == (
        "group equals “Wholesale” and (limit is greater than 5000 or not (tags is empty))"
    )


def test_changed_compares_with_the_previous_record():
    leaf = {"field": "email", "op": "changed"}
    assert check(leaf, {"email": "a"}, None) is True
    assert check(leaf, {"email": "a"}, {"email": "a"}) is False
    assert check({"field": "email", "op": "unchanged"}, {"email": "a"}, None) is False


def test_comparing_text_that_is_not_a_number_is_a_problem():
    with pytest.raises(TransformError, match="CreditLimit is not a number"):
        check({"field": "CreditLimit", "op": "greater_than", "value": 5000}, {"CreditLimit": "n/a"})


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "a", "op": "bigger"}, "not an operator"),
        ({"field": "", "op": "equals", "value": 1}, "field path"),
        ({"field": "a", "op": "in_list", "value": "x"}, "must be a list"),
        ({"field": "a", "op": "greater_than", "value": "lots"}, "must be a number"),
        ({"field": "a", "op": "equals"}, "value is required"),
        ({"and": []}, "non-empty list"),
        ({"and": [{"field": "a", "op": "is_empty"}], "or": []}, "only key"),
        ({"field": "a", "op": "is_empty", "colour": 1}, "unknown key"),
        ("a == 1", "must be an object"),
    ],
)
def test_bad_conditions_are_refused(condition, message):
    with pytest.raises(ConditionSpecError, match=message):
        compile_condition(condition)
