"""Is a mapping safe to run? Its spec, its fields against the providers' catalogues (schema
drift) and its mapping tests, checked on every save and, fresh, before a flow goes live.

The engine (`mappings.engine`) is pure; this module gives it what it needs from the database
and the providers (field catalogues, custom field definitions, the connection's region and
time zone) and stores what it finds on the mapping.
"""

import copy

from django.utils import timezone

from mappings import engine
from mappings.catalogues import field_catalogue
from mappings.models import Mapping, MappingTest


# --- what the engine is given -------------------------------------------------------------------
def engine_options(mapping: Mapping, *, fresh: bool = False, target=None) -> dict:
    """Region and time zone from the source connection (where phone numbers and local times
    come from), custom field definitions from the target's catalogue."""
    source = mapping.source_connection
    settings = source.settings if source else {}
    options = {
        "default_region": settings.get("default_region") or "US",
        "timezone": settings.get("timezone") or settings.get("store_timezone") or "UTC",
    }
    if target is None:
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
    # One read of each catalogue per check: a fresh HighLevel one is an API call.
    source = field_catalogue(mapping.source_provider, mapping.source_connection, fresh=fresh)
    target = field_catalogue(mapping.target_provider, mapping.target_connection, fresh=fresh)
    options = engine_options(mapping, target=target)
    # The spec's own shape first, without the account's custom fields: a custom field that
    # is gone is drift (the provider changed), not a mistake in the rule.
    structural = {k: v for k, v in options.items() if k != "custom_fields"}
    problems = [_problem_dict(p, "spec") for p in engine.validate_spec(spec, options=structural)]
    if not problems:
        drift = engine.check_drift(
            spec, _known_paths(source, spec), _known_paths(target, spec), options=options
        )
        problems += [_problem_dict(p, "drift") for p in drift]
    if not problems:
        problems += [_problem_dict(p, "spec") for p in engine.validate_spec(spec, options=options)]
    # The tests run on every check, problems or not: a test result on the page is always
    # this version's (drift in one field does not stop the rest of the mapping running).
    problems += _tests_run(mapping, spec, options, explained=bool(problems))
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


def _tests_run(mapping: Mapping, spec: dict, options: dict, *, explained: bool) -> list[dict]:
    """Run every mapping test against this spec. A spec that cannot compile runs none: they
    are all marked "not run" (no time), never left showing an older version's result, and
    unless the problems already found say why (`explained`), one more problem does."""
    tests = list(mapping.tests.all())
    if not tests:
        return []
    problems = []
    try:
        compiled = engine.compile_mapping(spec, options=options)
    except engine.SpecError as error:
        compiled = None
        if not explained:
            reasons = "; ".join(p.reason for p in error.problems)
            problems.append(_test_problem(f"The mapping tests cannot run: {reasons}."))
    now = timezone.now()
    for test in tests:
        if compiled is None:
            test.passed, test.differences, test.last_run_at = None, [], None
            continue
        result = compiled.apply(test.source_record, current=test.current_record)
        test.differences = _differences(test.expected_payload, result)
        test.passed = not test.differences
        test.last_run_at = now
        if not test.passed:
            problems.append(_test_problem(f"Mapping test “{test.name}” fails."))
    MappingTest.objects.bulk_update(tests, ["differences", "passed", "last_run_at"])
    return problems


def _test_problem(reason: str) -> dict:
    return {"rule": "", "field": "", "reason": reason, "kind": "test"}


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
