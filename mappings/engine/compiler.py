"""compile_mapping(spec) -> CompiledMapping; CompiledMapping.apply(record) -> Result.

Rules compile to closures (spec.py) and then to one generated function (codegen.py), because
a full sync maps every record and a per-rule interpreter loop was the largest cost.
"""

from dataclasses import dataclass, field
from typing import Any

from mappings.engine.codegen import generate
from mappings.engine.drift import check_drift
from mappings.engine.problems import Change, Problem, SkippedRule, SpecError
from mappings.engine.spec import CompiledRule, build
from mappings.engine.templates import to_text
from mappings.engine.transforms.registry import is_empty


@dataclass(slots=True)
class Result:
    payload: dict[str, Any]  # what to write, in the target's field names
    changes: list[Change]  # target fields whose value differs from `current`
    problems: list[Problem]
    skipped_rules: list[SkippedRule]
    skipped_reason: str = ""  # set when the whole record is skipped

    @property
    def skipped(self) -> bool:
        return bool(self.skipped_reason)

    @property
    def ok(self) -> bool:
        """Safe to write: not skipped and no blocking problem (a required value missing, a
        required rule's transform failing). Non-blocking problems leave only that field out."""
        return not self.skipped_reason and not any(p.blocking for p in self.problems)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "payload": self.payload,
            "changes": [c._asdict() for c in self.changes],
            "problems": [p.as_dict() for p in self.problems],
            "skipped_rules": [s._asdict() for s in self.skipped_rules],
            "skipped_reason": self.skipped_reason,
        }


@dataclass
class CompiledMapping:
    spec: dict[str, Any]
    rules: tuple[CompiledRule, ...]
    record_condition: Any = None
    record_condition_text: str = ""
    shares_targets: bool = False  # some target is written by more than one rule
    uses_custom_fields: bool = False
    warnings: list[Problem] = field(default_factory=list)

    source: str = field(default="", repr=False)  # the generated code, for debugging
    _apply: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self._apply is not None:
            # The generated function already is `apply` (same signature, same checks): bound
            # on the instance, a call skips one Python frame per record.
            self.apply = self._apply

    def apply(self, record: Any, *, current: Any = None, previous: Any = None) -> Result:
        """Map one source record. `current` is the target record as it is now (None: it does
        not exist and will be created); `previous` is the source record as last seen.
        (Replaced per instance by the generated function, which does exactly this.)"""
        return self._apply(record, current=current, previous=previous)


def append_value(old: Any, new: Any) -> Any:
    """Append without repeating: list items not already there (ignoring case) are added;
    text is added on a new paragraph unless the old text already contains it. Running the
    same mapping twice therefore changes nothing the second time."""
    if is_empty(old):
        return new
    if isinstance(old, list) or isinstance(new, list):
        merged = list(old) if isinstance(old, list) else [old]
        seen = {_fold(item) for item in merged}
        for item in new if isinstance(new, list) else [new]:
            key = _fold(item)
            if key not in seen:
                seen.add(key)
                merged.append(item)
        return merged
    old_text, new_text = to_text(old), to_text(new)
    if new_text.strip() in old_text:
        return old
    return f"{old_text.rstrip()}\n\n{new_text}"


def _fold(item: Any) -> Any:
    return item.strip().casefold() if isinstance(item, str) else repr(item)


def compile_mapping(
    spec: Any,
    *,
    target_fields: set[str] | None = None,
    source_fields: set[str] | None = None,
    options: dict | None = None,
) -> CompiledMapping:
    """Build once, apply many times. Raises SpecError listing every problem; with field sets
    given, a rule that reads or writes a field the provider no longer has is one of them
    (a broken mapping never runs)."""
    record_check, record_text, rules, problems = build(spec, options)
    if not problems and (target_fields is not None or source_fields is not None):
        problems = check_drift(spec, source_fields, target_fields, options=options)
    if problems:
        raise SpecError(problems)
    targets = [rule.target for rule in rules]
    shares_targets = len(set(targets)) != len(targets)
    apply, source = generate(
        tuple(rules),
        shares_targets=shares_targets,
        append_value=append_value,
        result_cls=Result,
        record_condition=record_check,
        record_condition_text=record_text,
    )
    return CompiledMapping(
        spec=spec,
        rules=tuple(rules),
        record_condition=record_check,
        record_condition_text=record_text,
        shares_targets=shares_targets,
        uses_custom_fields=any(rule.custom_field_id for rule in rules),
        source=source,
        _apply=apply,
    )


def validate_spec(spec: Any, *, options: dict | None = None) -> list[Problem]:
    """Every problem with a spec, per rule, without needing the target's custom field
    definitions (those are checked by compile_mapping / check_drift when known)."""
    need = bool(options and options.get("custom_fields") is not None)
    return build(spec, options, need_custom_fields=need)[3]
