"""The catalogue of triggers and actions is complete: every HighLevel Contacts API call is an
action, every webhook event a trigger, and each platform's triggers and record actions are
exactly what its capabilities allow."""

import pytest

from integrations.providers.capabilities import ChangeDetection, DeleteMode
from integrations.providers.registry import all_providers, get_provider
from sync import actions, catalogue
from sync.catalogue import ACTION, TRIGGER

PLATFORMS = [p.key for p in all_providers() if p.key != "highlevel"]


def entries(provider: str, kind: str) -> dict[str, catalogue.Entry]:
    return {e.key: e for e in catalogue.search(provider=provider, kind=kind)}


def test_every_highlevel_explorer_operation_is_an_action():
    highlevel = get_provider("highlevel")
    found = entries("highlevel", ACTION)
    for op in highlevel.explorer_operations:
        entry = found[op.key]
        assert entry.label == op.label and entry.scope == op.scope
        assert entry.endpoint == f"{op.method} {op.path}"
        assert entry.access == ("write" if op.write else "read")
    assert {"upsert-contact", "add-tags", "remove-tags", "complete-task"} <= set(found)


def test_highlevel_record_actions_take_the_writable_fields_of_its_catalogue():
    writable = {s.path for s in get_provider("highlevel").field_catalogue(None) if not s.read_only}
    upsert = entries("highlevel", ACTION)["upsert-contact"]
    assert {f.name for f in upsert.fields} == writable
    update = entries("highlevel", ACTION)["update-contact"]
    assert {f.name for f in update.fields} == writable | {"id"}
    tags = entries("highlevel", ACTION)["add-tags"]
    assert [f.name for f in tags.fields] == ["contactId", "tags"]
    assert tags.fields[0].required and tags.fields[1].type == "list"


@pytest.mark.parametrize("provider", [p.key for p in all_providers()])
def test_every_webhook_event_is_a_trigger(provider):
    events = {e for entry in catalogue.triggers_for(provider) for e in entry.events}
    assert set(get_provider(provider).capabilities.webhook_events) <= events


def test_highlevel_contact_triggers_arrive_by_webhook_and_by_polling():
    triggers = entries("highlevel", TRIGGER)
    created = triggers["contact.created"]
    assert [m.kind for m in created.methods] == ["webhook", "poll"]
    assert created.methods[0].event == "ContactCreate"
    assert [m.event for m in triggers["contact.deleted"].methods] == ["ContactDelete"]
    assert triggers["contact_tag.updated"].label == "Contact's tags changed"
    assert triggers["task.completed"].label == "Task completed"


def _expected_delete_methods(provider) -> set[str]:
    caps = provider.capabilities
    kinds = set()
    if any("delet" in event.lower() for event in caps.webhook_events):
        kinds.add("webhook")
    if caps.deleted_feed:
        kinds.add("deleted_feed")
    if caps.change_detection is ChangeDetection.FULL_COMPARISON:
        kinds.add("comparison")
    if caps.delete_mode is DeleteMode.DEACTIVATE:
        kinds.add("poll")  # a deactivation is a change like any other
        if caps.webhook_events:
            kinds.add("webhook")
    return kinds


@pytest.mark.parametrize("key", PLATFORMS)
def test_each_platform_has_the_triggers_its_capabilities_allow(key):
    provider = get_provider(key)
    caps = provider.capabilities
    triggers = entries(key, TRIGGER)
    poll_words = catalogue.POLL_WORDS[caps.change_detection]
    for verb in ("created", "updated"):
        entry = triggers[f"customer.{verb}"]
        kinds = [m.kind for m in entry.methods]
        assert "poll" in kinds and any(poll_words in m.words for m in entry.methods)
        has_webhook = any(
            catalogue.event_parts(e) == ("customer", verb) for e in caps.webhook_events
        )
        assert ("webhook" in kinds) == has_webhook, (key, verb)
    gone = (
        "customer.deactivated" if caps.delete_mode is DeleteMode.DEACTIVATE else "customer.deleted"
    )
    expected = _expected_delete_methods(provider)
    if expected:
        assert {m.kind for m in triggers[gone].methods} == expected
    else:
        assert gone not in triggers  # nothing can tell ContactBridge about a delete


def test_what_each_platform_can_report_about_deletes():
    assert "customer.deleted" not in entries("shift4shop", TRIGGER)
    ecwid = entries("ecwid", TRIGGER)["customer.deleted"]
    assert [m.kind for m in ecwid.methods] == ["webhook", "deleted_feed"]
    assert [m.kind for m in entries("cscart", TRIGGER)["customer.deleted"].methods] == [
        "comparison"
    ]
    cin7 = entries("cin7", TRIGGER)["customer.deactivated"]
    assert cin7.label == "Customer deactivated" and cin7.events == ("Customer/Updated",)


@pytest.mark.parametrize("key", PLATFORMS)
def test_each_platform_has_the_record_actions_its_capabilities_allow(key):
    provider = get_provider(key)
    caps = provider.capabilities
    found = entries(key, ACTION)
    assert {"customer.create", "customer.update"} <= set(found)
    assert ("customer.upsert" in found) == caps.upsert
    if caps.delete_mode is DeleteMode.DEACTIVATE:
        assert "customer.deactivate" in found and "customer.delete" not in found
    else:
        assert "customer.delete" in found and "customer.deactivate" not in found
    specs = provider.field_catalogue(None)
    create = found["customer.create"]
    assert {f.name for f in create.fields} == {s.path for s in specs if not s.read_only}
    required = {s.path for s in specs if s.required and not s.read_only}
    assert {f.name for f in create.fields if f.required} == required
    assert all(e.access == "write" for e in found.values())


def test_scopes_are_the_providers_own():
    ecwid = entries("ecwid", ACTION)
    assert ecwid["customer.create"].scope == "create_customers"
    assert ecwid["customer.update"].scope == "update_customers"
    assert entries("ecwid", TRIGGER)["customer.created"].scope == "read_customers"
    cscart = entries("cscart", ACTION)["customer.create"]
    assert cscart.scope == "" and cscart.access_words == "Read and write access"


def test_the_flow_actions_of_the_actions_module_are_listed_where_they_fit():
    flow_actions = {e.action_type for e in catalogue.flow_actions_for("highlevel")}
    for_highlevel = {k for k, v in actions.ACTION_TYPES.items() if "HighLevel target" in v["needs"]}
    assert for_highlevel and for_highlevel <= flow_actions
    into_ecwid = {e.action_type for e in catalogue.flow_actions_for("ecwid")}
    assert "create_task" not in into_ecwid and "copy_appointments" in into_ecwid
    assert "copy_appointments" not in {e.action_type for e in catalogue.flow_actions_for("cscart")}
    task = next(
        e for e in catalogue.flow_actions_for("highlevel") if e.action_type == "create_task"
    )
    title = next(f for f in task.fields if f.name == "title")
    assert title.required and title.help and task.scope == "contacts.write"


def test_flow_actions_follow_the_actions_module(monkeypatch):
    monkeypatch.setattr(
        actions,
        "ACTION_TYPES",
        {"ring_bell": {"label": "Ring a bell", "description": "Ding.", "needs": "", "fields": []}},
    )
    rung = [e for e in catalogue.catalogue() if e.key == "flow.ring_bell"]
    assert len(rung) == len(all_providers()) and rung[0].label == "Ring a bell"
    monkeypatch.delattr(actions, "ACTION_TYPES")
    assert not [e for e in catalogue.catalogue() if e.group == catalogue.FLOW_ACTIONS]


def test_every_entry_reads_as_words():
    seen = set()
    for entry in catalogue.catalogue():
        assert entry.uid not in seen
        seen.add(entry.uid)
        assert entry.label and entry.description and entry.group
        assert entry.label != entry.key and "_" not in entry.label
        assert entry.kind in (TRIGGER, ACTION) and entry.access in ("read", "write")


def test_search_needs_every_word_and_filters_by_provider_and_kind():
    labels = {e.label for e in catalogue.search("remove tags")}
    assert labels == {"Remove tags"}
    assert {e.provider for e in catalogue.search("deleted", kind=TRIGGER)} >= {
        "highlevel",
        "ecwid",
        "orderspace",
        "cscart",
    }
    only = catalogue.search("", provider="cin7", kind=ACTION)
    assert only and all(e.provider == "cin7" and e.kind == ACTION for e in only)
    assert catalogue.search("CustomerGroupID")  # fields are searched too
    assert catalogue.search("polling by comparison", provider="cscart")
    assert catalogue.search("no such thing at all") == []
    assert len(catalogue.search()) == len(catalogue.catalogue())


def test_entries_named_by_the_search_come_first():
    found = [e.key for e in catalogue.search("tags", provider="highlevel")]
    assert found[:3] == ["contact_tag.updated", "add-tags", "remove-tags"]
    assert "contact.created" in found  # it delivers the contact's tags
