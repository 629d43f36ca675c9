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


def shown(value: Any, limit: int = 60) -> str:
    """A value inside a message as a person reads it, never as Python's repr ('x', ['a'],
    {'k': 1}, None): text in curly quotes, lists and objects spelled out, long text cut."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return f"“{value if len(value) <= limit else value[:limit] + '…'}”"
    if isinstance(value, list | tuple):
        if not value:
            return "an empty list"
        items = ", ".join(shown(item, 20) for item in value[:5])
        return f"the list {items}{', …' if len(value) > 5 else ''}"
    if isinstance(value, dict):
        if not value:
            return "an empty object"
        pairs = ", ".join(f"{key}: {shown(item, 20)}" for key, item in list(value.items())[:5])
        return f"an object with {pairs}{', …' if len(value) > 5 else ''}"
    return f"a {type(value).__name__}"
