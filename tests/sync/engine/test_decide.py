"""The sync's decisions on plain values: no Django, no I/O."""

from dataclasses import dataclass, field

from mappings.engine import Change
from sync.engine.decide import (
    Action,
    Mapped,
    Outcome,
    choose_match,
    decide_delete,
    decide_tags_only,
    decide_write,
    diff_of,
    mapped_of,
    record_hash,
    unchanged_since_last_sync,
)


@dataclass
class Problem:
    field: str
    reason: str
    blocking: bool = True


@dataclass
class Result:
    payload: dict = field(default_factory=dict)
    changes: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    skipped_reason: str = ""

    @property
    def skipped(self):
        return bool(self.skipped_reason)

    @property
    def ok(self):
        return not self.skipped and not any(p.blocking for p in self.problems)


def test_hashes_ignore_key_order_and_see_any_change():
    assert record_hash({"a": 1, "b": [1, 2]}) == record_hash({"b": [1, 2], "a": 1})
    assert record_hash({"a": 1}) != record_hash({"a": "1"})
    assert record_hash(None) == ""
    assert unchanged_since_last_sync(record_hash({"a": 1}), record_hash({"a": 1}))
    assert not unchanged_since_last_sync(record_hash({"a": 1}), "")


def test_one_match_is_used_none_means_create_several_is_a_clear_failure():
    assert choose_match(["c1", "c1"]) == ("c1", "")
    assert choose_match([]) == ("", "")
    target, problem = choose_match(["c1", "c2"])
    assert target == "" and "2 records" in problem and "c1, c2" in problem


def test_writes_follow_the_mapping_result():
    change = Change("email", None, "a@example.com", "r1")
    new = Result(payload={"email": "a@example.com"}, changes=[change])
    assert decide_write(new, target_id="", exists=False, can_upsert=True).action is Action.UPSERT
    assert decide_write(new, target_id="", exists=False, can_upsert=False).action is Action.CREATE
    update = decide_write(new, target_id="t1", exists=True, can_upsert=True)
    assert update.action is Action.UPDATE and update.target_id == "t1"
    assert update.diff == [{"field": "email", "before": None, "after": "a@example.com"}]
    same = decide_write(
        Result(payload={"email": "a"}), target_id="t1", exists=True, can_upsert=False
    )
    assert (same.action, same.outcome) == (Action.NOTHING, Outcome.UNCHANGED)
    skipped = decide_write(
        Result(skipped_reason="not a buyer"), target_id="", exists=False, can_upsert=True
    )
    assert skipped.outcome is Outcome.SKIPPED and skipped.reason == "not a buyer"
    broken = Result(problems=[Problem("email", "is required")])
    failed = decide_write(broken, target_id="", exists=False, can_upsert=True)
    assert failed.outcome is Outcome.FAILED and failed.error_kind == "mapping"
    assert "email: is required" in failed.reason


def test_deletes_follow_the_flows_policy_and_the_targets_delete_mode():
    def decide(**kw):
        args = {
            "policy": "propagate",
            "target_id": "t1",
            "delete_mode": "delete",
            "can_archive": True,
        }
        return decide_delete(**{**args, **kw})

    assert decide().action is Action.DELETE
    assert decide(delete_mode="deactivate").action is Action.DEACTIVATE
    assert decide(policy="archive").action is Action.ARCHIVE
    assert decide(policy="archive", can_archive=False).action is Action.DELETE
    assert decide(policy="ignore").outcome is Outcome.SKIPPED
    assert decide(target_id="").outcome is Outcome.SKIPPED


def test_diffs_accept_the_engines_changes_and_plain_dicts():
    assert diff_of([{"field": "x", "before": 1, "after": 2}]) == [
        {"field": "x", "before": 1, "after": 2}
    ]


# --- decided from the link -----------------------------------------------------------------
def test_mapped_keeps_tags_apart_from_the_digest_of_the_rest():
    plain = mapped_of(Result(payload={"email": "a@b.c", "tags": ["vip"]}))
    retagged = mapped_of(Result(payload={"tags": ["vip", "trade"], "email": "a@b.c"}))
    assert plain.digest == retagged.digest and plain.tags == ["vip"]
    assert retagged.tags == ["vip", "trade"]
    assert mapped_of(Result(payload={"email": "x@b.c"})).digest != plain.digest
    assert mapped_of(Result(payload={"email": "a@b.c", "tags": "solo"})).tags == ["solo"]
    assert mapped_of(Result(payload={"email": "a@b.c"})).tags == []
    assert mapped_of(Result(skipped_reason="condition")) is None
    assert mapped_of(Result(problems=[Problem("email", "bad")])) is None


def test_only_new_tags_are_added_when_nothing_else_changed():
    before = Mapped("d1", ["vip"])
    decision = decide_tags_only(target_id="c1", before=before, now=Mapped("d1", ["VIP ", "trade"]))
    assert decision.action is Action.UPDATE and decision.target_id == "c1"
    assert decision.payload == {"tags": ["trade"]}  # "VIP " is "vip", already there
    assert decision.diff == [{"field": "tags", "before": ["vip"], "after": ["vip", "trade"]}]


def test_tags_gone_from_the_source_are_not_taken_off_when_tags_only_append():
    decision = decide_tags_only(target_id="c1", before=Mapped("d1", ["vip"]), now=Mapped("d1", []))
    assert decision.action is Action.NOTHING and decision.outcome is Outcome.UNCHANGED


def test_anything_else_changed_leaves_the_decision_to_the_full_path():
    assert decide_tags_only(target_id="c1", before=Mapped("d1", []), now=Mapped("d2", [])) is None
