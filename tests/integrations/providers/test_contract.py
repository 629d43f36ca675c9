"""The contract every provider passes, over real HTTP against its sandbox.

Parametrised over the registry: a provider in the registry without a harness
(tests/integrations/providers/<key>/contract.py, see contract_support.py) fails here, so a
new provider is not done until it passes all of this. In the spirit of a connector standard
test: full reads, incremental reads while records change, reads past the last page, deletes,
write round trips, webhooks turned into ChangeEvents, typed errors.
"""

import itertools
import json
import re
from importlib import import_module
from types import SimpleNamespace

import pytest

from integrations.errors import IntegrationError, NotFoundError, PermanentError
from integrations.providers.base import ChangeAction, ChangeEvent, Identity, RecordAdapter
from integrations.providers.capabilities import ChangeDetection, DeleteMode
from integrations.providers.cursors import CursorError, Reading
from integrations.providers.registry import all_providers, get_provider

KEYS = [provider.key for provider in all_providers()]
WEBHOOK_KEYS = [p.key for p in all_providers() if p.capabilities.sends_webhooks]
_numbers = itertools.count(1000)


def _harness(key: str):
    return import_module(f"tests.integrations.providers.{key}.contract").HARNESS


@pytest.fixture(scope="module", params=KEYS)
def harness(request):
    harness = _harness(request.param)
    harness.start()
    yield harness
    harness.stop()


@pytest.fixture
def connection(harness, workspace):
    return harness.make_connection(workspace)


@pytest.fixture
def adapter(harness, connection) -> RecordAdapter:
    return harness.adapter(connection)


def read(adapter: RecordAdapter, cursor) -> tuple[list[dict], object]:
    reading = adapter.list_changed(cursor)
    assert isinstance(reading, Reading)
    records = []
    for record, after in reading:
        assert isinstance(record, dict)
        json.dumps(record)  # JSON-ready
        json.dumps(after.to_json())
        records.append(record)
    return records, reading.cursor


def ids(adapter, records) -> list[str]:
    return [adapter.id_of(record) for record in records]


def round_trip(adapter, cursor):
    return adapter.cursor_from_json(json.loads(json.dumps(cursor.to_json())))


def test_every_provider_in_the_registry_has_a_harness():
    for key in KEYS:
        assert _harness(key).key == key


def test_a_full_read_yields_every_record_once(harness, adapter):
    records, cursor = read(adapter, adapter.new_cursor())
    seen = ids(adapter, records)
    assert len(seen) == len(set(seen)), "a full read yielded a record twice"
    assert len(seen) >= harness.seeded
    assert all(isinstance(i, str) and i for i in seen)
    assert round_trip(adapter, cursor) == cursor
    # Nothing changed: reading again from the cursor yields nothing.
    again, _ = read(adapter, round_trip(adapter, cursor))
    assert again == []


def test_the_total_is_estimated_or_honestly_unknown(harness, adapter):
    records, _ = read(adapter, adapter.new_cursor())
    total = adapter.estimate_total()
    assert total is None or total == len(records)


def test_a_change_is_read_once_then_not_again(harness, adapter):
    _, cursor = read(adapter, adapter.new_cursor())
    target = adapter.create(harness.new_payload(next(_numbers)))
    target_id = adapter.id_of(target)
    records, cursor = read(adapter, cursor)
    assert ids(adapter, records).count(target_id) == 1
    harness.tick()
    harness.change_outside(target_id, next(_numbers))
    records, cursor = read(adapter, cursor)
    assert ids(adapter, records).count(target_id) == 1
    changed = next(r for r in records if adapter.id_of(r) == target_id)
    assert changed == adapter.get(target_id)
    again, _ = read(adapter, cursor)
    assert target_id not in ids(adapter, again)


def test_changes_made_during_a_read_are_not_lost(harness, adapter):
    """A read that pages through many changed records while more change, appear and go:
    every record that exists at the end is yielded by this read or the next, the newest
    version of each record changed mid-read is among them, and no record that still exists
    is reported deleted (a read cut short by a shifting page must not look like deletions)."""
    first, start = read(adapter, adapter.new_cursor())
    order = ids(adapter, first)
    harness.tick()
    for n, external_id in enumerate(order):
        harness.change_outside(external_id, 5000 + n)
    gone = order[len(order) // 2]
    again = [order[0], order[-1]]
    reading = adapter.list_changed(start)
    records: list[dict] = []
    created = ""
    for record, _ in reading:
        records.append(record)
        if len(records) == harness.page_size:
            for n, external_id in enumerate(again):
                harness.change_outside(external_id, 7000 + n)
            created = adapter.id_of(adapter.create(harness.new_payload(next(_numbers))))
            harness.remove_outside(gone)
    assert created, "the read ended before its first page was full: seed more records"
    later, end = read(adapter, reading.cursor)
    records += later
    yielded = set(ids(adapter, records))
    assert (set(order) - {gone}) | {created} <= yielded
    for external_id in again:
        assert adapter.get(external_id) in records
    deleted = {record.external_id for record, _ in adapter.list_deleted(end)}
    # Only this test's records count: the sandbox is shared by the module, and a deletion an
    # earlier test made may still be inside the deleted list's look-back window.
    still_there = (set(order) - {gone}) | {created}
    assert not deleted & still_there


def test_reading_past_the_last_page_ends_cleanly(harness, connection):
    everything, _ = read(harness.adapter(connection), harness.adapter(connection).new_cursor())
    total = len(everything)
    # Pages that end exactly at the total, and pages larger than it.
    for page_size in sorted({total, total + 1, max(1, total // 2)}):
        exact = harness.adapter(connection, page_size=page_size)
        records, _ = read(exact, exact.new_cursor())
        assert sorted(ids(exact, records)) == sorted(ids(exact, everything))


def test_deletes_are_seen(harness, adapter):
    provider = get_provider(harness.key)
    victim = adapter.id_of(adapter.create(harness.new_payload(next(_numbers))))
    _, cursor = read(adapter, adapter.new_cursor())
    harness.tick()
    harness.remove_outside(victim)
    changed, cursor = read(adapter, cursor)
    deleted = [record.external_id for record, _ in adapter.list_deleted(cursor)]
    caps = provider.capabilities
    if caps.deleted_feed or caps.change_detection is ChangeDetection.FULL_COMPARISON:
        assert victim in deleted
    elif caps.delete_mode is DeleteMode.DEACTIVATE:
        assert victim in deleted or victim in ids(adapter, changed)
    else:  # no way to list deletions: webhooks or reconciliation find them; get() knows
        with pytest.raises(NotFoundError):
            adapter.get(victim)


def test_create_find_update_get_round_trip(harness, adapter):
    n = next(_numbers)
    created = adapter.create(harness.new_payload(n))
    external_id = adapter.id_of(created)
    assert created == adapter.get(external_id)
    identity = adapter.identity_of(created)
    assert identity.email == f"contract-{n}@example.com"
    assert external_id in ids(adapter, adapter.find(identity))
    assert external_id in ids(adapter, adapter.find(Identity(email=identity.email.upper())))
    if identity.phone:
        assert external_id in ids(adapter, adapter.find(Identity(phone=identity.phone)))
    assert adapter.find(Identity(email=f"nobody-{n}@example.com")) == []
    updated = adapter.update(external_id, harness.change_payload(n))
    assert adapter.id_of(updated) == external_id
    assert updated != created
    assert adapter.get(external_id) == updated
    if get_provider(harness.key).capabilities.upsert:
        again = adapter.upsert(harness.new_payload(n))
        assert adapter.id_of(again.record) == external_id and not again.created


def test_delete_or_deactivate_per_the_delete_mode(harness, adapter):
    external_id = adapter.id_of(adapter.create(harness.new_payload(next(_numbers))))
    if get_provider(harness.key).capabilities.delete_mode is DeleteMode.DEACTIVATE:
        record = adapter.deactivate(external_id)
        assert adapter.id_of(record) == external_id
    else:
        adapter.delete(external_id)
        with pytest.raises(NotFoundError):
            adapter.get(external_id)


def test_errors_are_the_typed_ones(harness, adapter):
    with pytest.raises(NotFoundError):
        adapter.get(harness.missing_id)
    with pytest.raises(PermanentError) as refused:
        adapter.create(harness.bad_payload())
    assert str(refused.value)
    with pytest.raises(IntegrationError):
        adapter.update(harness.missing_id, harness.change_payload(1))


def test_cursors_refuse_what_is_not_theirs(adapter):
    with pytest.raises(CursorError):
        adapter.cursor_from_json({"kind": "someone-else"})
    with pytest.raises(CursorError):
        adapter.cursor_from_json("not json")


@pytest.fixture(scope="module", params=WEBHOOK_KEYS)
def webhook_harness(request):
    harness = _harness(request.param)
    harness.start()
    yield harness
    harness.stop()


def test_every_webhook_the_sandbox_sends_becomes_change_events(webhook_harness, workspace):
    harness = webhook_harness
    connection = harness.make_connection(workspace)
    adapter = harness.adapter(connection)
    provider = get_provider(harness.key)
    harness.clear_webhooks()
    created = adapter.id_of(adapter.create(harness.new_payload(next(_numbers))))
    harness.tick()
    harness.change_outside(created, next(_numbers))
    deliveries = harness.webhook_deliveries()
    assert deliveries, "the sandbox sent no webhook"
    events: list[ChangeEvent] = []
    for body, headers in deliveries:
        verified = provider.verify_webhook(body, headers)
        assert connection in verified.connections
        stored = SimpleNamespace(
            event_id=verified.event_id, event_type=verified.event_type, payload=verified.payload
        )
        for event in adapter.parse_event(stored):
            assert event.connection_id == connection.pk
            assert event.object_type == harness.object_type
            assert isinstance(event.external_id, str) and event.external_id
            assert event.action in set(ChangeAction)
            events.append(event)
    about_it = [e for e in events if e.external_id == created]
    assert about_it, f"no ChangeEvent for {created}: {events}"
    assert {e.action for e in about_it} & {ChangeAction.CREATED, ChangeAction.UPDATED}


# Fields the presets read that the sync supplies beside the record (HighLevel's notes are
# their own objects; CS-Cart's user groups come from their own endpoint).
SUPPLIED_BY_THE_SYNC = {"notes", "usergroups"}


def _source_paths(spec: dict) -> set[str]:
    paths = set()
    for rule in spec["rules"]:
        source = rule.get("source") or {}
        if source.get("kind") == "field":
            paths.add(source["value"])
        elif source.get("kind") == "template":
            paths.update(re.findall(r"{{\s*([\w.\[\]]+)\s*}}", source.get("value", "")))
    return {p for p in paths if p.split(".")[0] not in SUPPLIED_BY_THE_SYNC}


def _resolves(record, path: str) -> bool:
    value = record
    for part in path.replace("[", ".").replace("]", "").split("."):
        if isinstance(value, list):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return False
        if value is None:
            return False
    return value not in ("", [], {})


def test_records_have_the_shape_the_presets_and_catalogue_read(harness, adapter):
    """The normalised record is the one the mapping editor works on: every field a preset
    reads from this system is found in its records, and is in its field catalogue."""
    from mappings.catalogues import field_catalogue
    from mappings.presets import list_presets, load_preset

    specs = [
        load_preset(p["source"], p["target"]) for p in list_presets() if p["source"] == harness.key
    ]
    assert specs
    records, _ = read(adapter, adapter.new_cursor())
    catalogue = field_catalogue(harness.key, adapter.connection, fresh=True).paths()
    for spec in specs:
        for path in _source_paths(spec):
            assert any(_resolves(r, path) for r in records), f"no record has {path}"
            assert path.split("[")[0] in catalogue or any(
                path.startswith(known + ".") or known.startswith(path.split("[")[0])
                for known in catalogue
            ), f"{path} is not in the {harness.key} field catalogue"
