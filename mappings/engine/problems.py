"""The engine's own result and error types.

Everything that can go wrong while applying a mapping to a record becomes a `Problem`
(field, rule, reason), never an exception that escapes and never a silently empty value.
Transforms signal failure by raising `TransformError`; the engine turns it into a Problem.
"""

from dataclasses import dataclass
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # the target field (or spec location, e.g. "rules[2].transforms[0]")
    rule: str  # the rule id ("" for record-level or spec-level problems)
    reason: str  # readable, shown to the user as is
    code: str = "invalid"  # machine-readable kind: missing_required, transform_failed, drift...
    blocking: bool = True  # False: the rest of the record may still be written

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "rule": self.rule,
            "reason": self.reason,
            "code": self.code,
            "blocking": self.blocking,
        }

    def __str__(self) -> str:
        where = f"rule {self.rule}, " if self.rule else ""
        return f"{where}{self.field}: {self.reason}"


class Change(NamedTuple):
    """One target field the mapping changes: its current value and the value it will write."""

    field: str
    old: Any
    new: Any
    rule_id: str


class SkippedRule(NamedTuple):
    rule_id: str
    field: str
    reason: str


class TransformError(Exception):
    """A transform could not produce a correct value; the message says why."""


class SkipRule(Exception):
    """A transform decided the rule should not write anything (e.g. a value map whose
    fallback is "skip"); the message is recorded as the skip reason."""


class SpecError(ValueError):
    """A mapping spec that cannot be compiled; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems) or "invalid mapping")
