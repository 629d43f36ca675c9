"""Writes to mappings: every change to the spec is one version, checked and tested on save.

The engine (`mappings.engine`) is pure; this module gives it what it needs from the database
and the providers (field catalogues, custom field definitions, the connection's region and
time zone) and stores what it finds (problems, test results).
"""

import copy
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Workspace
from integrations.errors import IntegrationError
from integrations.models import Connection
from mappings import engine
from mappings.catalogues import field_catalogue
from mappings.models import Mapping, MappingSample, MappingTest, MappingVersion
from mappings.presets import PresetNotFound, load_preset

DUPLICATE_NAME_ERROR = "This workspace already has a mapping with that name."


# --- what the engine is given -------------------------------------------------------------------
def engine_options(mapping: Mapping, *, fresh: bool = False) -> dict:
    """Region and time zone from the source connection (where phone numbers and local times
    come from), custom field definitions from the target's catalogue."""
    source = mapping.source_connection
    settings = source.settings if source else {}
    options = {
        "default_region": settings.get("default_region") or "US",
        "timezone": settings.get("timezone") or settings.get("store_timezone") or "UTC",
    }
    target = field_catalogue(mapping.target_provider, mapping.target_connection, fresh=fresh)
    if target.custom_fields or target.complete:
        options["custom_fields"] = target.custom_fields
    return options


def full_spec(mapping: Mapping, spec: dict | None = None) -> dict:
    """The stored rules plus the mapping's own columns, which are the truth for those keys."""
    spec = copy.deepcopy(spec if spec is not None else mapping.spec)
    spec.update(
        source=mapping.source_provider,
        target=mapping.target_provider,
        object=mapping.object_type,
        direction=mapping.direction,
    )
    spec.setdefault("rules", [])
    spec.setdefault("record_condition", None)
    return spec


def _problem_dict(problem: engine.Problem, kind: str) -> dict:
    return {"rule": problem.rule, "field": problem.field, "reason": problem.reason, "kind": kind}


# --- checking ------------------------------------------------------------------------------------
def mapping_check(*, mapping: Mapping, fresh: bool = False) -> list[dict]:
    """Spec problems, drift against both catalogues, and mapping tests; stored on the mapping.
    A mapping with any problem is not healthy: flows refuse to write with it."""
    spec = full_spec(mapping)
    options = engine_options(mapping, fresh=fresh)
    # The spec's own shape first, without the account's custom fields: a custom field that
    # is gone is drift (the provider changed), not a mistake in the rule.
    structural = {k: v for k, v in options.items() if k != "custom_fields"}
    problems = [_problem_dict(p, "spec") for p in engine.validate_spec(spec, options=structural)]
    source = field_catalogue(mapping.source_provider, mapping.source_connection, fresh=fresh)
    target = field_catalogue(mapping.target_provider, mapping.target_connection, fresh=fresh)
    if not problems:
        drift = engine.check_drift(
            spec, _known_paths(source, spec), _known_paths(target, spec), options=options
        )
        problems += [_problem_dict(p, "drift") for p in drift]
    if not problems:
        problems += [_problem_dict(p, "spec") for p in engine.validate_spec(spec, options=options)]
    problems += _tests_run(mapping, spec, options) if not problems else []
    mapping.problems = problems
    mapping.checked_at = timezone.now()
    mapping.save(update_fields=["problems", "checked_at", "updated_at"])
    return problems


def _known_paths(catalogue, spec: dict) -> set[str]:
    """The fields drift is checked against. When the account's own fields could not be read,
    custom field paths the rules use are given the benefit of the doubt rather than being
    called deleted; every standard field is still checked."""
    paths = catalogue.paths()
    if catalogue.custom_fields:
        paths |= engine.custom_field_paths(catalogue.custom_fields)
    if not catalogue.complete:
        for rule in spec.get("rules", []):
            source = (rule.get("source") or {}).get("value")
            for path in (rule.get("target"), source):
                if isinstance(path, str) and path.startswith("customFields."):
                    paths.add(path)
    return paths


def mapping_ready_for_live(*, mapping: Mapping) -> list[str]:
    """Why a flow may not go live with this mapping (empty: it may). Checks fresh."""
    return [
        f"{p['kind']}: {p['field'] or 'mapping'} — {p['reason']}"
        for p in mapping_check(mapping=mapping, fresh=True)
    ]


def _tests_run(mapping: Mapping, spec: dict, options: dict) -> list[dict]:
    tests = list(mapping.tests.all())
    if not tests:
        return []
    compiled = engine.compile_mapping(spec, options=options)
    now = timezone.now()
    problems = []
    for test in tests:
        result = compiled.apply(test.source_record, current=test.current_record)
        test.differences = _differences(test.expected_payload, result)
        test.passed = not test.differences
        test.last_run_at = now
        if not test.passed:
            problems.append(
                {
                    "rule": "",
                    "field": "",
                    "reason": f"Mapping test “{test.name}” fails.",
                    "kind": "test",
                }
            )
    MappingTest.objects.bulk_update(tests, ["differences", "passed", "last_run_at"])
    return problems


def _differences(expected: dict, result: engine.Result) -> list[dict]:
    actual = result.payload
    differences = [
        {"field": key, "expected": expected.get(key), "actual": actual.get(key)}
        for key in sorted(set(expected) | set(actual))
        if expected.get(key) != actual.get(key)
    ]
    differences += [
        {"field": p.field, "expected": None, "actual": None, "problem": p.reason}
        for p in result.problems
    ]
    return differences


# --- creating and saving ------------------------------------------------------------------------
def _check_name_free(*, workspace: Workspace, name: str, exclude_pk: int | None = None) -> None:
    clash = Mapping.objects.filter(workspace=workspace, name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": DUPLICATE_NAME_ERROR})


def _check_connection(connection: Connection | None, workspace: Workspace, provider: str, role):
    if connection is None:
        return
    if connection.workspace_id != workspace.pk:
        raise ValidationError({f"{role}_connection": "That connection is not in this workspace."})
    if connection.provider != provider:
        raise ValidationError(
            {f"{role}_connection": f"Choose a {provider} connection for the {role} side."}
        )


def _spec_problems_as_error(problems: list[engine.Problem]) -> ValidationError:
    return ValidationError(
        [f"{p.field or 'mapping'}: {p.reason}" if p.field else p.reason for p in problems]
    )


@transaction.atomic
def mapping_create(
    *,
    workspace: Workspace,
    user,
    name: str,
    source_provider: str,
    target_provider: str,
    object_type: str = Mapping.ObjectType.CONTACT,
    start: str = "preset",
    import_text: str = "",
    source_connection: Connection | None = None,
    target_connection: Connection | None = None,
) -> Mapping:
    name = name.strip()
    _check_name_free(workspace=workspace, name=name)
    if source_provider == target_provider:
        raise ValidationError({"target_provider": "Source and target must be different systems."})
    _check_connection(source_connection, workspace, source_provider, "source")
    _check_connection(target_connection, workspace, target_provider, "target")
    if start == "preset":
        try:
            spec = load_preset(source_provider, target_provider)
        except PresetNotFound as error:
            raise ValidationError({"start": str(error)}) from None
    elif start == "import":
        try:
            spec = engine.import_mapping(import_text)
        except engine.SpecError as error:
            raise _spec_problems_as_error(error.problems) from None
        if (spec.get("source"), spec.get("target")) != (source_provider, target_provider):
            raise ValidationError(
                {
                    "import_text": f"This file maps {spec.get('source')} → {spec.get('target')}, "
                    f"not {source_provider} → {target_provider}."
                }
            )
    else:
        spec = {"rules": [], "record_condition": None}
    mapping = Mapping(
        workspace=workspace,
        name=name,
        source_provider=source_provider,
        target_provider=target_provider,
        object_type=object_type,
        source_connection=source_connection,
        target_connection=target_connection,
    )
    mapping.full_clean(exclude=["spec"])
    mapping.save()
    return mapping_save_spec(mapping=mapping, user=user, spec=spec, summary=f"Created ({start})")


@transaction.atomic
def mapping_save_spec(*, mapping: Mapping, user, spec: dict, summary: str) -> Mapping:
    """Store a new version of the spec (rejecting one that does not validate), then check it
    against the catalogues and run its tests."""
    spec = full_spec(mapping, spec)
    problems = engine.validate_spec(spec)
    if problems:
        raise _spec_problems_as_error(problems)
    locked = Mapping.objects.select_for_update().get(pk=mapping.pk)
    locked.version += 1
    locked.spec = spec
    locked.save(update_fields=["version", "spec", "updated_at"])
    MappingVersion.objects.create(
        mapping=locked, number=locked.version, spec=spec, created_by=user, summary=summary[:200]
    )
    mapping.version, mapping.spec = locked.version, spec
    mapping_check(mapping=mapping)
    return mapping


def mapping_update(
    *,
    mapping: Mapping,
    name: str,
    source_connection: Connection | None,
    target_connection: Connection | None,
) -> Mapping:
    name = name.strip()
    _check_name_free(workspace=mapping.workspace, name=name, exclude_pk=mapping.pk)
    _check_connection(source_connection, mapping.workspace, mapping.source_provider, "source")
    _check_connection(target_connection, mapping.workspace, mapping.target_provider, "target")
    mapping.name = name
    mapping.source_connection = source_connection
    mapping.target_connection = target_connection
    mapping.save()
    mapping_check(mapping=mapping)
    return mapping


def mapping_delete(*, mapping: Mapping) -> None:
    mapping.delete()


def mapping_export(*, mapping: Mapping) -> str:
    return engine.export_mapping(full_spec(mapping))


# --- rules ---------------------------------------------------------------------------------------
def rule_save(*, mapping: Mapping, user, rule: dict, rule_id: str | None = None) -> Mapping:
    """Add a rule (rule_id None) or replace one; a rule that does not validate is refused with
    the engine's reasons, and nothing is saved."""
    spec = full_spec(mapping)
    rules = spec["rules"]
    if rule_id is None:
        rule = {**rule, "id": f"r{uuid.uuid4().hex[:8]}"}
        rules.append(rule)
        summary = f"Added a rule for {rule.get('target')}"
    else:
        index = _rule_index(rules, rule_id)
        rule = {**rule, "id": rule_id}
        rules[index] = rule
        summary = f"Changed the rule for {rule.get('target')}"
    problems = engine.validate_spec(spec)
    if problems:
        raise _spec_problems_as_error(problems)
    return mapping_save_spec(mapping=mapping, user=user, spec=spec, summary=summary)


def _rule_index(rules: list[dict], rule_id: str) -> int:
    for index, rule in enumerate(rules):
        if rule.get("id") == rule_id:
            return index
    raise ValidationError("That rule no longer exists; reload the page.")


def rule_move(*, mapping: Mapping, user, rule_id: str, offset: int) -> Mapping:
    spec = full_spec(mapping)
    rules = spec["rules"]
    index = _rule_index(rules, rule_id)
    new_index = max(0, min(len(rules) - 1, index + offset))
    if new_index == index:
        return mapping
    rules.insert(new_index, rules.pop(index))
    summary = f"Moved the rule for {rules[new_index].get('target')}"
    return mapping_save_spec(mapping=mapping, user=user, spec=spec, summary=summary)


def rule_delete(*, mapping: Mapping, user, rule_id: str) -> Mapping:
    spec = full_spec(mapping)
    rule = spec["rules"].pop(_rule_index(spec["rules"], rule_id))
    summary = f"Removed the rule for {rule.get('target')}"
    return mapping_save_spec(mapping=mapping, user=user, spec=spec, summary=summary)


def record_condition_save(*, mapping: Mapping, user, condition: dict | None) -> Mapping:
    spec = full_spec(mapping)
    spec["record_condition"] = condition
    summary = "Changed which records are mapped" if condition else "Mapping every record"
    return mapping_save_spec(mapping=mapping, user=user, spec=spec, summary=summary)


def mapping_restore(*, mapping: Mapping, user, number: int) -> Mapping:
    version = mapping.versions.filter(number=number).first()
    if version is None:
        raise ValidationError(f"There is no version {number}.")
    return mapping_save_spec(
        mapping=mapping, user=user, spec=version.spec, summary=f"Restored version {number}"
    )


# --- preview, samples and tests -----------------------------------------------------------------
@dataclass
class PreviewRow:
    field: str
    label: str
    value: Any
    rule_id: str
    old: Any = None
    changed: bool = False
    rule_number: int = 0  # the rule's place in the list, as the editor numbers it


@dataclass
class Preview:
    rows: list[PreviewRow] = field(default_factory=list)
    payload: dict = field(default_factory=dict)
    problems: list[engine.Problem] = field(default_factory=list)
    skipped_rules: list = field(default_factory=list)
    skipped_reason: str = ""
    error: str = ""  # the spec itself cannot run (drift, invalid)


def mapping_preview(*, mapping: Mapping, record: Any, current: Any = None) -> Preview:
    try:
        compiled = engine.compile_mapping(full_spec(mapping), options=engine_options(mapping))
    except engine.SpecError as error:
        return Preview(error="; ".join(p.reason for p in error.problems))
    result = compiled.apply(record, current=current)
    labels = field_catalogue(mapping.target_provider, mapping.target_connection).by_path()
    changes = {change.field: change for change in result.changes}
    rule_of = {rule["target"]: rule["id"] for rule in mapping.rules}
    number_of = {rule["id"]: index for index, rule in enumerate(mapping.rules, start=1)}
    rows = []
    for path, value in _flatten_payload(result.payload):
        spec = labels.get(path)
        change = changes.get(path)
        rule_id = change.rule_id if change else rule_of.get(path, "")
        rows.append(
            PreviewRow(
                field=path,
                label=spec.label if spec else path,
                value=value,
                rule_id=rule_id,
                old=change.old if change else None,
                changed=change is not None,
                rule_number=number_of.get(rule_id, 0),
            )
        )
    return Preview(
        rows=rows,
        payload=result.payload,
        problems=result.problems,
        skipped_rules=result.skipped_rules,
        skipped_reason=result.skipped_reason,
    )


def _flatten_payload(payload: dict) -> list[tuple[str, Any]]:
    rows = []
    for key, value in payload.items():
        if key == "customFields" and isinstance(value, list):
            rows += [(f"customFields.{item.get('id')}", item.get("field_value")) for item in value]
        else:
            rows.append((key, value))
    return rows


def parse_json_record(text: str, *, what: str = "record") -> Any:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ValidationError(
            f"The {what} is not valid JSON: {error.msg} (line {error.lineno})."
        ) from None
    if not isinstance(value, dict):
        raise ValidationError(f"The {what} must be a JSON object {{…}}.")
    return value


def sample_create(*, mapping: Mapping, name: str, record: dict) -> MappingSample:
    name = name.strip() or f"Sample {mapping.samples.count() + 1}"
    return MappingSample.objects.create(mapping=mapping, name=name[:100], record=record)


def sample_fetch(*, mapping: Mapping) -> MappingSample:
    """Save the first record of the source connection as a sample (a real API call)."""
    connection = mapping.source_connection
    if connection is None:
        raise ValidationError("Choose a source connection first, to fetch a record from it.")
    client = connection.provider_info.client_class()(connection)
    reader = getattr(client, "iter_customers", None) or client.iter_contacts
    try:
        first = next(iter(reader()), None)
    except IntegrationError as error:
        raise ValidationError(f"Could not read from “{connection}”: {error}") from None
    if first is None:
        raise ValidationError(f"“{connection}” has no records to use as a sample.")
    record = first.model_dump(mode="json", by_alias=True) if hasattr(first, "model_dump") else first
    label = record.get("email") or record.get("Email") or record.get("id") or "record"
    return sample_create(mapping=mapping, name=f"From {connection}: {label}", record=record)


def sample_delete(*, sample: MappingSample) -> None:
    sample.delete()


@transaction.atomic
def test_create(
    *,
    mapping: Mapping,
    name: str,
    source_record: dict,
    expected_payload: dict,
    current_record: dict | None = None,
) -> MappingTest:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the test a name."})
    if mapping.tests.filter(name__iexact=name).exists():
        raise ValidationError({"name": "This mapping already has a test with that name."})
    test = MappingTest.objects.create(
        mapping=mapping,
        name=name,
        source_record=source_record,
        current_record=current_record,
        expected_payload=expected_payload,
    )
    mapping_check(mapping=mapping)
    test.refresh_from_db()
    return test


def test_delete(*, test: MappingTest) -> None:
    mapping = test.mapping
    test.delete()
    mapping_check(mapping=mapping)
