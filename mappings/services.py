"""Writes to mappings: every change to the spec is one version, checked and tested on save
(`mappings.checks`)."""

import functools
import itertools
import json
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from accounts.models import Workspace
from integrations import jsonsafe
from integrations.errors import IntegrationError
from integrations.models import Connection
from integrations.providers.base import ObjectType
from integrations.providers.keys import PROVIDER_NAMES
from integrations.providers.registry import adapter_for
from mappings import engine
from mappings.checks import full_spec, mapping_check
from mappings.models import Mapping, MappingSample, MappingTest, MappingVersion
from mappings.presets import PresetNotFound, load_preset

DUPLICATE_NAME_ERROR = "This workspace already has a mapping with that name."

# How much one mapping may hold, as JSON. Far above what real mappings use (the largest
# preset is a few KB); they keep a pasted or posted monster out of the database and the engine.
MAX_RULE_BYTES = 64 * 1024
MAX_SPEC_BYTES = 1024 * 1024
MAX_RULES = 500
MAX_RECORD_BYTES = 256 * 1024  # a sample, a previewed record, each part of a mapping test
MAX_NAME_CHARS = 100
RULE_TOO_LARGE = "A rule may be at most {limit} as JSON (this one is {size}); shorten it."
SPEC_TOO_LARGE = "A mapping may be at most {limit} as JSON (this one is {size}); split it."
TOO_MANY_RULES = f"A mapping may have at most {MAX_RULES} rules; split it into several."
RECORD_TOO_LARGE = "The {what} may be at most {limit} (it is {size}); trim it."
SAMPLES_PER_FETCH = 5  # a few different customers to preview with, from one small page
MAX_SAMPLE_SCAN = 100  # records read at most to find ones not saved as samples yet
DRAFT_RULE_ID = "editing"  # the id a new rule has while the preview shows it, unsaved


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
        wanted = PROVIDER_NAMES.get(provider, provider)
        raise ValidationError(
            {f"{role}_connection": f"Choose a connection to {wanted} for the {role} side."}
        )


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8", "replace"))


def _size_error(template: str, limit: int, size: int, **extra) -> ValidationError:
    return ValidationError(
        template.format(limit=jsonsafe.size_text(limit), size=_rounded_size(size), **extra)
    )


def _rounded_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{-(-size // 1024)} KB"


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
        size = len(import_text.encode("utf-8", "replace"))
        if size > MAX_SPEC_BYTES:
            raise ValidationError(
                {"import_text": _size_error(SPEC_TOO_LARGE, MAX_SPEC_BYTES, size).messages}
            )
        loads = functools.partial(jsonsafe.loads, max_bytes=MAX_SPEC_BYTES)
        try:
            spec = engine.import_mapping(import_text, loads=loads)
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
    if isinstance(spec["rules"], list) and len(spec["rules"]) > MAX_RULES:
        raise ValidationError(TOO_MANY_RULES)
    size = _json_size(spec)
    if size > MAX_SPEC_BYTES:
        raise _size_error(SPEC_TOO_LARGE, MAX_SPEC_BYTES, size)
    _check_no_nul(spec, "mapping")
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
    try:
        mapping.delete()
    except ProtectedError as error:  # flows run it (sync.Flow: PROTECT)
        names = ", ".join(sorted({str(flow) for flow in error.protected_objects}))
        raise ValidationError(
            f"Flows use this mapping ({names}): delete them, or give them another mapping, first."
        ) from None


def mapping_export(*, mapping: Mapping) -> str:
    return engine.export_mapping(full_spec(mapping))


# --- rules ---------------------------------------------------------------------------------------
def spec_with_rule(*, mapping: Mapping, rule: dict, rule_id: str | None = None) -> dict:
    """The mapping's spec with `rule` added (rule_id None, under a new id) or in place of
    rule `rule_id`; refused with the engine's reasons when it does not validate."""
    size = _json_size(rule)
    if size > MAX_RULE_BYTES:
        raise _size_error(RULE_TOO_LARGE, MAX_RULE_BYTES, size)
    spec = full_spec(mapping)
    rules = spec["rules"]
    if rule_id is None:
        rules.append({**rule, "id": f"r{uuid.uuid4().hex[:8]}"})
    else:
        rules[_rule_index(rules, rule_id)] = {**rule, "id": rule_id}
    problems = engine.validate_spec(spec)
    if problems:
        raise _spec_problems_as_error(problems)
    return spec


def spec_with_draft_rule(*, mapping: Mapping, rule: dict, rule_id: str | None = None) -> dict:
    """spec_with_rule for the preview of a rule still being edited: a new rule gets a fixed
    id (DRAFT_RULE_ID), so the preview can point at it."""
    if rule_id is None:
        spec = spec_with_rule(mapping=mapping, rule=rule, rule_id=None)
        spec["rules"][-1]["id"] = DRAFT_RULE_ID
        return spec
    return spec_with_rule(mapping=mapping, rule=rule, rule_id=rule_id)


def rule_save(*, mapping: Mapping, user, rule: dict, rule_id: str | None = None) -> Mapping:
    """Add a rule (rule_id None) or replace one; a rule that does not validate is refused with
    the engine's reasons, and nothing is saved."""
    spec = spec_with_rule(mapping=mapping, rule=rule, rule_id=rule_id)
    verb = "Added" if rule_id is None else "Changed"
    summary = f"{verb} the rule for {rule.get('target')}"
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


# --- samples and tests -------------------------------------------------------------------------
def parse_json_record(text: str, *, what: str = "record") -> dict:
    """A record pasted into the editor: a JSON object within MAX_RECORD_BYTES and the limits
    of `jsonsafe` (nesting, number sizes), or a ValidationError saying what to fix."""
    size = len(text.encode("utf-8", "replace"))
    if size > MAX_RECORD_BYTES:
        raise _size_error(RECORD_TOO_LARGE, MAX_RECORD_BYTES, size, what=what)
    try:
        value = jsonsafe.loads(text, max_bytes=MAX_RECORD_BYTES)
    except jsonsafe.JSONRejected as error:
        raise ValidationError(f"The {what} cannot be used: {error}.") from None
    if not isinstance(value, dict):
        raise ValidationError(f"The {what} must be a JSON object {{…}}.")
    return value


def _check_no_nul(value: Any, what: str) -> None:
    """PostgreSQL stores neither a NUL character in text nor \u0000 in JSON: refuse it here
    with a message, not with a database error."""
    text = value if isinstance(value, str) else json.dumps(value)
    if "\x00" in text or "\\u0000" in text:
        raise ValidationError(f"The {what} holds a NUL character (\\u0000): remove it.")


def _check_record_size(record: Any, what: str) -> None:
    size = _json_size(record)
    if size > MAX_RECORD_BYTES:
        raise _size_error(RECORD_TOO_LARGE, MAX_RECORD_BYTES, size, what=what)
    _check_no_nul(record, what)


def sample_create(*, mapping: Mapping, name: str, record: dict) -> MappingSample:
    name = name.strip() or f"Sample {mapping.samples.count() + 1}"
    _check_no_nul(name, "sample name")
    _check_record_size(record, "sample record")
    return MappingSample.objects.create(mapping=mapping, name=name[:100], record=record)


def samples_fetch(*, mapping: Mapping, count: int = SAMPLES_PER_FETCH) -> list[MappingSample]:
    """Up to `count` records of the source connection saved as samples (real API calls),
    in the order read, skipping records saved already: fetching again brings the next ones."""
    connection = mapping.source_connection
    if connection is None:
        raise ValidationError("Choose a source connection first, to fetch a record from it.")
    saved = {_record_key(sample.record) for sample in mapping.samples.all()}
    # Enough records to get past the saved ones, in one or two small pages. The record
    # adapter gives the same normalised record the sync engine maps.
    window = min(count + len(saved), MAX_SAMPLE_SCAN)
    adapter = adapter_for(connection, ObjectType.CONTACT, page_size=window)
    try:
        reading = adapter.list_changed(adapter.new_cursor())
        records = [record for record, _ in itertools.islice(reading, window)]
    except IntegrationError as error:
        raise ValidationError(f"Could not read from “{connection}”: {error}") from None
    if not records:
        raise ValidationError(f"“{connection}” has no records to use as samples.")
    new = [record for record in records if _record_key(record) not in saved][:count]
    if not new:
        raise ValidationError(
            f"The records “{connection}” gave are saved as samples already; choose one of them."
        )
    return [
        sample_create(
            mapping=mapping,
            name=f"From {connection}: {adapter.identity_of(record).email or adapter.id_of(record)}",
            record=record,
        )
        for record in new
    ]


def _record_key(record: Any) -> str:
    return json.dumps(record, sort_keys=True, default=str)


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
    _check_no_nul(name, "test name")
    if len(name) > MAX_NAME_CHARS:
        raise ValidationError({"name": f"A test name may be at most {MAX_NAME_CHARS} characters."})
    for record, what in (
        (source_record, "test input"),
        (expected_payload, "expected output"),
        (current_record, "current record"),
    ):
        _check_record_size(record, what)
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
