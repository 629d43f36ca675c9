"""Two-way decisions on plain values."""

from datetime import UTC, datetime, timedelta

from sync.engine.twoway import newer, same, split_changes

T = datetime(2026, 12, 6, 12, tzinfo=UTC)


def _split(before, after, last, policy="review", reading="source", read_is_newer=None):
    diff = [{"field": "email", "before": before, "after": after}]
    last_values = {} if last is ... else {"email": last}
    return split_changes(
        diff,
        last=last_values,
        policy_for=lambda name: policy,
        reading=reading,
        read_is_newer=read_is_newer,
    )


def test_a_field_never_synced_is_written():
    assert _split("a", "b", ...).write == ["email"]


def test_a_change_on_the_side_read_is_written():
    assert _split(before="old", after="new", last="old").write == ["email"]


def test_a_change_only_on_the_written_side_is_left_for_the_other_way():
    split = _split(before="theirs", after="old", last="old")
    assert split.theirs == ["email"] and not split.write and not split.held


def test_both_sides_changed_follows_the_policy():
    both = {"before": "theirs", "after": "ours", "last": "old"}
    assert _split(**both, policy="source", reading="source").write == ["email"]
    assert _split(**both, policy="source", reading="target").lost == ["email"]
    assert _split(**both, policy="target", reading="target").write == ["email"]
    assert _split(**both, policy="newest", read_is_newer=True).write == ["email"]
    assert _split(**both, policy="newest", read_is_newer=False).lost == ["email"]
    held = _split(**both, policy="newest", read_is_newer=None).held
    assert held == [{"field": "email", "read": "ours", "written": "theirs", "last": "old"}]
    assert _split(**both, policy="review", read_is_newer=True).held[0]["read"] == "ours"


def test_tags_compare_without_order_or_case():
    assert same(["VIP", "trade"], ["trade", "vip "])
    assert not same(["vip"], ["vip", "trade"])
    assert same({"a": 1, "b": 2}, {"b": 2, "a": 1}) and not same("1", 1)
    assert _split(before=["B", "a"], after=["x"], last=["a", "b"]).write == ["email"]


def test_newer_needs_both_times_and_more_than_the_skew():
    assert newer(T + timedelta(seconds=3), T) is True
    assert newer(T, T + timedelta(seconds=3)) is False
    assert newer(T + timedelta(seconds=2), T) is None
    assert newer(None, T) is None and newer(T, None) is None


def test_values_are_read_at_dotted_paths():
    from sync.engine.twoway import flatten, value_at, without

    record = {"Contacts": [{"Name": "Jo Doe"}], "billingPerson": {"name": "Ann"}, "tags": ["a"]}
    assert value_at(record, "Contacts.0.Name") == "Jo Doe"
    assert value_at(record, "billingPerson.name") == "Ann"
    assert value_at(record, "tags") == ["a"]
    assert value_at(record, "Contacts.3.Name") is None and value_at(record, "nope.x") is None
    assert flatten({"billingPerson": {"name": "Ann", "city": "X"}, "tags": ["a"]}) == {
        "billingPerson.name": "Ann",
        "billingPerson.city": "X",
        "tags": ["a"],
    }
    assert without(
        {"billingPerson": {"name": "A", "city": "X"}, "email": "e"}, {"billingPerson.name"}
    ) == {"billingPerson": {"city": "X"}, "email": "e"}
    assert without({"billingPerson": {"name": "A"}}, {"billingPerson.name"}) == {}
