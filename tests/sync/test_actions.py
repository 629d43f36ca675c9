"""sync.actions over real HTTP: the HighLevel, CS-Cart and Shift4Shop sandboxes in-process.
Each action is checked by reading the sandbox's final state back through the clients, and
each count of API calls against the sandbox's own request counters."""

import uuid
from datetime import timedelta

import pytest
import requests
from django.core.cache import cache
from django.utils import timezone

from integrations.errors import ConfigError
from integrations.providers.base import ObjectType
from integrations.providers.cscart.client import CsCartClient
from integrations.providers.highlevel.adapters import parse_time
from integrations.providers.highlevel.client import HighLevelClient
from integrations.providers.highlevel.schemas import (
    ContactInput,
    NoteInput,
    SearchFilter,
    TaskInput,
)
from integrations.providers.registry import adapter_for
from mappings import engine
from mappings.presets import load_preset
from mappings.presets.rules import AS_LIST, mapping, rule
from sandboxes.cscart import CsCartSandbox
from sandboxes.cscart import connection_values as cscart_values
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.highlevel import connection_values as highlevel_values
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from sandboxes.shift4shop import Shift4ShopSandbox
from sandboxes.shift4shop import connection_values as shift4shop_values
from sync import actions
from sync.actions.tags import tag_groups
from tests.factories import ConnectionFactory, FlowFactory
from tests.sandboxes.support import serve

SEEDED = 1000  # HighLevel contacts in the first location: the bulk tag run uses them all
READ_WRITE = ["contacts.readonly", "contacts.write", "locations/customFields.readonly"]
TIMEOUT = 10
BULK = "POST /contacts/bulk/tags/update/{type}"


# --- sandboxes and connections ------------------------------------------------------------------
@pytest.fixture(scope="module")
def hl_app():
    app = HighLevelSandbox(
        SandboxOptions(seed=SEEDED, random_seed=29), rsa_key_bits=2048, burst_limit=100_000
    )
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


@pytest.fixture(scope="module")
def cscart_app():
    app, stop_server = serve(CsCartSandbox(SandboxOptions(seed=5, random_seed=31)))
    yield app
    stop_server()


@pytest.fixture(scope="module")
def shift4shop_app():
    app, stop_server = serve(
        Shift4ShopSandbox(SandboxOptions(seed=5, random_seed=37), rate_limit=100_000)
    )
    yield app
    stop_server()


class HighLevelControl:
    def __init__(self, app):
        self.url = app.describe()["control_url"]

    def stats(self) -> dict:
        return requests.get(self.url, timeout=TIMEOUT).json()["stats"]

    def requests(self) -> int:
        return self.stats()["requests_total"]


@pytest.fixture
def hl_control(hl_app):
    cache.clear()  # the rate limit a client learned must not leak between tests
    control = HighLevelControl(hl_app)
    yield control
    requests.post(control.url + "/reset", timeout=TIMEOUT).raise_for_status()
    cache.clear()


@pytest.fixture
def hl_connection(hl_app, hl_control, workspace):
    credentials, settings = highlevel_values(hl_app.describe())
    return ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings=settings,
        credentials=credentials,
        scopes=READ_WRITE,
    )


@pytest.fixture
def cscart_connection(cscart_app, workspace):
    credentials, settings = cscart_values(cscart_app.describe())
    return ConnectionFactory(
        workspace=workspace,
        provider="cscart",
        settings={**settings, "rate_limit_requests": 10_000, "rate_limit_interval": 1},
        credentials=credentials,
    )


@pytest.fixture
def shift4shop_connection(shift4shop_app, workspace):
    credentials, settings = shift4shop_values(shift4shop_app.describe())
    return ConnectionFactory(
        workspace=workspace,
        provider="shift4shop",
        settings={**settings, "requests_per_second": 1000},
        credentials=credentials,
    )


@pytest.fixture
def hl(hl_connection):
    """A HighLevel client of our own, to set up and check (its calls are not the action's)."""
    return HighLevelClient(hl_connection, sleep=lambda seconds: None)


@pytest.fixture
def into_highlevel(workspace, cscart_connection, hl_connection):
    """A CS-Cart -> HighLevel flow with the given actions, and its HighLevel adapter."""

    def make(*specs):
        flow = FlowFactory(
            workspace=workspace,
            source_connection=cscart_connection,
            target_connection=hl_connection,
            actions=list(specs),
        )
        return flow, adapter_for(hl_connection, ObjectType.CONTACT)

    return make


@pytest.fixture
def into_shift4shop(workspace, hl_connection, shift4shop_connection):
    def make(*specs):
        flow = FlowFactory(
            workspace=workspace,
            source_connection=hl_connection,
            target_connection=shift4shop_connection,
            actions=list(specs),
        )
        return flow, adapter_for(shift4shop_connection, ObjectType.CONTACT)

    return make


def email() -> str:
    return f"actions.{uuid.uuid4().hex[:12]}@example.org"


def new_contact(hl, **fields) -> str:
    return hl.create_contact(ContactInput(email=email(), **fields)).id


def note_texts(hl, contact_id) -> list[str]:
    return sorted(n.model_extra.get("bodyText") or n.body for n in hl.list_notes(contact_id))


# --- actions on a HighLevel target ----------------------------------------------------------------
def test_a_welcome_task_is_due_days_later_with_the_template_filled(into_highlevel, hl, hl_control):
    flow, target = into_highlevel(
        {
            "type": "create_task",
            "title": "Welcome {{firstName}}",
            "body": "Customer {{email}} from {{company}}",
            "due_in_days": 3,
            "on": "created",
        }
    )
    contact_id = new_contact(hl, firstName="Ada")
    source = {"firstname": "Ada", "email": "ada@example.org", "company": "Engines Ltd"}
    before = hl_control.requests()

    calls = actions.after_write(flow, target, contact_id, "created", source, {})

    # "firstName" is not in the CS-Cart record: read from the contact (1), then the task (1).
    assert calls == 2 == hl_control.requests() - before
    [task] = hl.list_tasks(contact_id)
    assert task.title == "Welcome Ada"
    assert task.body == "Customer ada@example.org from Engines Ltd"
    assert not task.completed
    due = parse_time(task.dueDate)
    assert abs(due - (timezone.now() + timedelta(days=3))) < timedelta(minutes=1)

    # Only on "created": an update runs nothing; the payload written spares the read.
    assert actions.after_write(flow, target, contact_id, "updated", source, {}) == 0
    written = {"firstName": "Ada"}
    other = new_contact(hl, firstName="Ada")
    assert actions.after_write(flow, target, other, "created", source, {}, written=written) == 1
    assert [t.title for t in hl.list_tasks(contact_id)] == ["Welcome Ada"]


def test_a_task_on_every_write_is_not_created_twice_while_open(into_highlevel, hl):
    flow, target = into_highlevel({"type": "create_task", "title": "Check order", "on": "always"})
    contact_id = new_contact(hl)
    actions.after_write(flow, target, contact_id, "updated", {}, {})
    actions.after_write(flow, target, contact_id, "updated", {}, {})
    assert [t.title for t in hl.list_tasks(contact_id)] == ["Check order"]


def test_tags_are_added_and_removed_and_a_note_added_once(into_highlevel, hl, hl_control):
    flow, target = into_highlevel(
        {"type": "add_tags", "tags": ["synced", "from-{{company}}"], "on": "always"},
        {"type": "remove_tags", "tags": ["lead"], "on": "updated"},
        {"type": "add_note", "body": "Synced from CS-Cart: {{email}}", "on": "always"},
    )
    contact_id = new_contact(hl, tags=["lead", "vip"])
    source = {"email": "ada@example.org", "company": "acme"}

    first = actions.after_write(flow, target, contact_id, "updated", source, {})
    second = actions.after_write(flow, target, contact_id, "updated", source, {})

    assert set(hl.get_contact(contact_id).tags) == {"vip", "synced", "from-acme"}
    assert note_texts(hl, contact_id) == ["Synced from CS-Cart: ada@example.org"]
    assert first == 4  # add tags, remove tags, read notes, create the note
    assert second == 3  # the note is there already: no second one


def test_open_tasks_are_completed(into_highlevel, hl):
    flow, target = into_highlevel({"type": "complete_tasks", "on": "updated"})
    contact_id = new_contact(hl)
    for title in ("Call", "Send samples"):
        hl.create_task(contact_id, TaskInput(title=title, dueDate="2026-07-20T10:00:00Z"))

    assert actions.after_write(flow, target, contact_id, "created", {}, {}) == 0  # not "created"
    assert not any(t.completed for t in hl.list_tasks(contact_id))
    actions.after_write(flow, target, contact_id, "updated", {}, {})
    tasks = hl.list_tasks(contact_id)
    assert len(tasks) == 2 and all(t.completed for t in tasks)


# --- extras: HighLevel notes, CS-Cart user groups -----------------------------------------------
def test_mapped_notes_become_notes_and_a_second_write_adds_none(into_highlevel, hl, hl_control):
    flow, target = into_highlevel()
    contact_id = new_contact(hl)
    hl.create_note(contact_id, NoteInput(body="<p>Prefers e-mail</p>"))
    extras = {"notes": ["Prefers e-mail", "Call after 5pm", "  "]}

    first = actions.after_write(flow, target, contact_id, "updated", {}, extras)
    before = hl_control.requests()
    second = actions.after_write(flow, target, contact_id, "updated", {}, extras)

    assert second == 1 == hl_control.requests() - before  # read only
    assert first == 2  # read the notes, create the one missing
    assert note_texts(hl, contact_id) == ["Call after 5pm", "Prefers e-mail"]


def test_notes_on_a_new_contact_are_written_without_reading(into_highlevel, hl, hl_control):
    flow, target = into_highlevel()
    contact_id = new_contact(hl)
    calls = actions.after_write(flow, target, contact_id, "created", {}, {"notes": "One note"})
    assert calls == 1
    assert note_texts(hl, contact_id) == ["One note"]


def test_split_payload_keeps_the_extras_back():
    plain, extras = actions.split_payload("highlevel", {"email": "a@b.c", "notes": ["x"]})
    assert plain == {"email": "a@b.c"} and extras == {"notes": ["x"]}
    assert actions.split_payload("cscart", {"usergroups": ["4"]}) == ({}, {"usergroups": ["4"]})
    assert actions.split_payload("ecwid", {"notes": ["x"]}) == ({"notes": ["x"]}, {})


def test_mapped_user_groups_are_joined_in_cscart(workspace, hl_connection, cscart_connection):
    flow = FlowFactory(
        workspace=workspace, source_connection=hl_connection, target_connection=cscart_connection
    )
    target = adapter_for(cscart_connection, ObjectType.CONTACT)
    user_id = target.id_of(target.create({"email": email(), "firstname": "Grace"}))
    groups = ["3", {"usergroup_id": "4", "status": "A"}, {"usergroup_id": "5", "status": "D"}]

    actions.after_write(flow, target, user_id, "created", {}, {"usergroups": groups})

    client = CsCartClient(cscart_connection)
    active = {g.usergroup_id for g in client.customer_usergroups(user_id) if g.status == "A"}
    assert active == {"3", "4"}


def test_current_with_extras_lets_the_mapping_see_the_notes_there(hl, hl_connection, hl_control):
    target = adapter_for(hl_connection, ObjectType.CONTACT)
    contact_id = new_contact(hl)
    hl.create_note(contact_id, NoteInput(body="<p>Prefers e-mail</p>"))
    spec = mapping(
        "cin7",
        "highlevel",
        [rule("notes", "notes", {"kind": "field", "value": "Comments"}, AS_LIST, mode="append")],
        name="notes",
        description="",
    )
    compiled = engine.compile_mapping(spec)
    current = target.get(contact_id)

    before = hl_control.requests()
    unchanged = actions.current_with_extras("highlevel", target, contact_id, current, ["email"])
    assert unchanged is current and hl_control.requests() == before  # notes not mapped: no read
    with_notes = actions.current_with_extras("highlevel", target, contact_id, current, ["notes"])
    assert with_notes["notes"] == ["Prefers e-mail"] and hl_control.requests() == before + 1

    # Mapped against the notes there, the same note is no change; a new one is.
    assert not compiled.apply({"Comments": "Prefers e-mail"}, current=with_notes).changes
    result = compiled.apply({"Comments": "VIP"}, current=with_notes)
    assert result.payload["notes"] == ["Prefers e-mail", "VIP"]
    assert actions.current_with_extras("highlevel", target, "", None, ["notes"]) is None


def test_source_with_extras_reads_notes_and_user_groups_when_mapped(
    hl, hl_connection, hl_control, cscart_connection
):
    source = adapter_for(hl_connection, ObjectType.CONTACT)
    contact_id = new_contact(hl)
    hl.create_note(contact_id, NoteInput(body="From the CRM"))
    record = source.get(contact_id)
    before = hl_control.requests()
    assert actions.source_with_extras("highlevel", source, record, ["email"]) is record
    enriched = actions.source_with_extras("highlevel", source, record, ["notes", "email"])
    assert enriched["notes"] == ["From the CRM"] and hl_control.requests() == before + 1

    shop = adapter_for(cscart_connection, ObjectType.CONTACT)
    user_id = shop.id_of(shop.create({"email": email(), "firstname": "Grace"}))
    CsCartClient(cscart_connection).add_to_usergroup(user_id, 4)
    preset = load_preset("cscart", "highlevel")
    record = actions.source_with_extras(
        "cscart", shop, shop.get(user_id), engine.used_fields(preset)["source"]
    )
    assert record["usergroups"] == [{"usergroup_id": "4", "status": "A"}]
    tags = engine.compile_mapping(preset).apply(record).payload["tags"]
    assert tags == ["cscart-group-4"]


# --- HighLevel -> platform: the platform's note field ------------------------------------------
def _contact_with(hl_app, key: str) -> str:
    location = hl_app.describe()["location_id"]
    contacts = hl_app.data.contacts
    if key == "appointment":
        ids = {a["contactId"] for a in hl_app.data.appointments.values()}
    else:
        ids = {c["id"] for c in contacts.values() if c.get("businessId")}
    return sorted(i for i in ids if contacts[i]["locationId"] == location)[0]


def test_appointments_are_copied_into_the_note_field(hl_app, hl, hl_connection, into_shift4shop):
    flow, target = into_shift4shop({"type": "copy_appointments", "field": "Comments"})
    contact_id = _contact_with(hl_app, "appointment")
    customer = target.create({"Email": email(), "BillingFirstName": "Ada", "Comments": "VIP"})
    customer_id = target.id_of(customer)
    record = adapter_for(hl_connection, ObjectType.CONTACT).get(contact_id)
    [appointment] = hl.list_appointments(contact_id)[:1]

    actions.after_write(flow, target, customer_id, "updated", record, {})

    comments = target.get(customer_id)["Comments"]
    assert comments.startswith("VIP\n\n[HighLevel appointments]\n- ")
    assert appointment.title in comments and comments.endswith("[/HighLevel appointments]")
    # Again: the same text, so only the reads (appointments, the customer), no write.
    assert actions.after_write(flow, target, customer_id, "updated", record, {}) == 2
    assert target.get(customer_id)["Comments"] == comments


def test_enrich_writes_one_profile_into_the_note_field(hl_app, hl, hl_connection, into_shift4shop):
    flow, target = into_shift4shop({"type": "enrich", "on": "created"})  # default: Comments
    contact_id = _contact_with(hl_app, "business")
    hl.create_task(
        contact_id, TaskInput(title="Send the price list", dueDate="2026-08-01T09:00:00Z")
    )
    hl.create_note(contact_id, NoteInput(body="Asked about <b>bulk</b> pricing"))
    contact = hl.get_contact(contact_id)
    customer_id = target.id_of(target.create({"Email": email(), "BillingFirstName": "Ada"}))
    record = adapter_for(hl_connection, ObjectType.CONTACT).get(contact_id)

    actions.after_write(flow, target, customer_id, "created", record, {})

    comments = target.get(customer_id)["Comments"]
    assert comments.startswith("[HighLevel profile]\n") and contact.email in comments
    business = hl_app.data.businesses[contact.businessId]["name"]
    assert f"Company: {business}" in comments
    assert "Open tasks:\n" in comments and "- Send the price list (due 2026-08-01" in comments
    assert "Notes:\n" in comments and "- Asked about bulk pricing" in comments


# --- archive ------------------------------------------------------------------------------------
def test_archive_tags_completes_tasks_and_leaves_a_note(into_highlevel, hl, hl_control):
    flow, target = into_highlevel()
    contact_id = new_contact(hl, tags=["vip"])
    hl.create_task(contact_id, TaskInput(title="Call", dueDate="2026-07-20T10:00:00Z"))
    before = hl_control.requests()

    calls = actions.archive(flow, target, contact_id)

    assert calls == 5 == hl_control.requests() - before  # tag, tasks, complete, notes, note
    assert set(hl.get_contact(contact_id).tags) == {"vip", "archived"}
    assert all(t.completed for t in hl.list_tasks(contact_id))
    today = timezone.now().date().isoformat()
    assert note_texts(hl, contact_id) == [f"Archived: deleted in CS-Cart on {today}"]
    actions.archive(flow, target, contact_id)  # a retry leaves no second note
    assert len(hl.list_notes(contact_id)) == 1


def test_archive_follows_the_flows_archive_action(into_highlevel, hl):
    flow, target = into_highlevel(
        {"type": "archive", "tag": "gone", "tasks": "delete", "note": "Removed in {{source}}"}
    )
    contact_id = new_contact(hl)
    hl.create_task(contact_id, TaskInput(title="Call", dueDate="2026-07-20T10:00:00Z"))

    actions.archive(flow, target, contact_id)

    assert hl.get_contact(contact_id).tags == ["gone"]
    assert hl.list_tasks(contact_id) == []
    assert note_texts(hl, contact_id) == ["Removed in CS-Cart"]


def test_archiving_a_contact_already_gone_is_not_an_error(into_highlevel, hl):
    flow, target = into_highlevel()
    contact_id = new_contact(hl)
    hl.delete_contact(contact_id)
    actions.archive(flow, target, contact_id)


def test_only_highlevel_targets_archive(workspace, hl_connection, cscart_connection):
    assert actions.can_archive("highlevel")
    assert not any(actions.can_archive(p) for p in ("cscart", "ecwid", "shift4shop", "cin7"))
    flow = FlowFactory(
        workspace=workspace, source_connection=hl_connection, target_connection=cscart_connection
    )
    with pytest.raises(ConfigError, match="CS-Cart records cannot be archived"):
        actions.archive(flow, adapter_for(cscart_connection, ObjectType.CONTACT), "1")


# --- bulk tags ----------------------------------------------------------------------------------
def test_tag_only_changes_over_a_thousand_contacts_take_a_few_bulk_calls(
    hl_app, hl, hl_connection, hl_control
):
    location = hl_app.describe()["location_id"]
    ids = sorted(c["id"] for c in hl_app.data.contacts.values() if c["locationId"] == location)
    ids = ids[:SEEDED]
    vip, wholesale, lead = (f"{word}-{uuid.uuid4().hex[:6]}" for word in ("vip", "ws", "lead"))
    hl.bulk_update_tags(ids[:50], [lead])  # to be taken off again
    changes = {
        cid: ({vip, wholesale} if n % 10 == 0 else {vip}, {lead} if n < 50 else set())
        for n, cid in enumerate(ids)
    }
    before = hl_control.stats()["requests_by_route"].get(BULK, 0)

    failed: dict = {}
    calls = actions.bulk_tag_changes(
        adapter_for(hl_connection, ObjectType.CONTACT), changes, failed=failed
    )

    assert len(ids) == SEEDED and not failed
    # Adds by tag set: {vip} 900 contacts (9 calls), {vip, wholesale} 100 (1 call); lead
    # off: 50 contacts (1 call).
    assert calls == 11 == hl_control.stats()["requests_by_route"][BULK] - before
    assert calls / len(ids) <= 0.05

    def tagged(tag):
        condition = SearchFilter(field="tags", operator="eq", value=tag)
        return {c.id for c in hl.search_contacts(filters=[condition])}

    assert tagged(vip) == set(ids)
    assert tagged(wholesale) == set(ids[::10])
    assert tagged(lead) == set()


def test_bulk_tags_are_grouped_into_the_fewest_calls():
    def calls(groups):
        return sum(-(-len(ids) // 100) for _, ids in groups)

    # The same set for everyone: one group (chunked by the client).
    same = {f"c{n:04d}": {"a", "b"} for n in range(250)}
    assert [(tags, len(ids)) for tags, ids in tag_groups(same)] == [(("a", "b"), 250)]
    # Every combination of three tags, ten contacts each: by tag, 3 calls (by set, 7).
    subsets = [{"a"}, {"b"}, {"c"}, {"a", "b"}, {"a", "c"}, {"b", "c"}, {"a", "b", "c"}]
    fragmented = {f"c{n:04d}": subsets[n % 7] for n in range(70)}
    assert [tags for tags, _ in tag_groups(fragmented)] == [("a",), ("b",), ("c",)]
    # Everyone "a" plus one of seven others: by set, 7 calls (by tag, 14).
    mixed = {f"c{n:04d}": {"a", f"x{n % 7}"} for n in range(700)}
    assert calls(tag_groups(mixed)) == 7
    # Nobody gets a tag they did not ask for, and everyone gets all theirs.
    for wanted in (same, fragmented, mixed):
        given: dict = {}
        for tags, ids in tag_groups(wanted):
            for cid in ids:
                assert set(tags) <= wanted[cid]
                given.setdefault(cid, set()).update(tags)
        assert given == wanted


def test_bulk_tag_changes_are_highlevel_only(workspace, cscart_connection):
    target = adapter_for(cscart_connection, ObjectType.CONTACT)
    with pytest.raises(ConfigError):
        actions.bulk_tag_changes(target, {"1": ({"a"}, set())})


# --- validation and the catalogue ---------------------------------------------------------------
def test_each_problem_is_said_per_action():
    problems = actions.actions_problems(
        [
            {"type": "create_task", "due_in_days": 400, "on": "sometimes"},
            {"type": "send_fax"},
            "tag them",
            {"type": "add_tags", "tags": []},
            {"type": "add_note", "body": "Hi", "colour": "red"},
        ],
        "highlevel",
    )
    assert problems == [
        "Action 1 (create_task): on must be 'created', 'updated' or 'always'.",
        "Action 1 (create_task): title is required.",
        "Action 1 (create_task): due_in_days must be a whole number of days from 0 to 365.",
        "Action 2 (send_fax): unknown type “send_fax”; use one of create_task, add_tags, "
        "remove_tags, add_note, complete_tasks, copy_appointments, enrich, archive.",
        "Action 3: must be an object with a type.",
        "Action 4 (add_tags): tags needs at least one entry.",
        "Action 5 (add_note): colour is not a setting of this action (it takes on, body).",
    ]
    assert actions.actions_problems([], "highlevel") == []
    assert actions.actions_problems({"type": "add_note"}, "highlevel") == [
        "Actions must be a list of actions."
    ]


def test_actions_the_target_cannot_do_are_refused_with_the_reason():
    task = [{"type": "create_task", "title": "Welcome"}]
    assert actions.actions_problems(task, "cscart") == [
        "Action 1 (create_task): this flow cannot do it: CS-Cart has no tasks: tasks are "
        "HighLevel's (use this on a flow into HighLevel)."
    ]
    copy = [{"type": "copy_appointments"}]
    assert "CS-Cart customers have no note field" in actions.actions_problems(copy, "cscart")[0]
    assert "this flow writes HighLevel" in actions.actions_problems(copy, "highlevel")[0]
    assert actions.actions_problems(copy, "shift4shop", "highlevel") == []
    assert "source must be HighLevel" in actions.actions_problems(copy, "shift4shop", "ecwid")[0]
    wrong = [{"type": "enrich", "field": "Notes"}]
    assert actions.actions_problems(wrong, "shift4shop") == [
        "Action 1 (enrich): this flow cannot do it: Shift4Shop has no field “Notes” "
        "(its note field is Comments)."
    ]
    two = [{"type": "archive"}, {"type": "archive", "tag": "old"}]
    assert actions.actions_problems(two, "highlevel") == [
        "Action 2 (archive): a flow archives one way: keep one archive action."
    ]


def test_invalid_actions_stop_the_record_before_anything_is_written(into_highlevel, hl, hl_control):
    flow, target = into_highlevel()
    flow.actions = [{"type": "add_note", "body": "x"}, {"type": "create_task"}]
    contact_id = new_contact(hl)
    before = hl_control.requests()
    with pytest.raises(ConfigError, match="title is required"):
        actions.after_write(flow, target, contact_id, "updated", {}, {"notes": ["n"]})
    assert hl_control.requests() == before


def test_every_action_type_is_described_for_the_catalogue():
    assert set(actions.ACTION_TYPES) == {
        "create_task",
        "add_tags",
        "remove_tags",
        "add_note",
        "complete_tasks",
        "copy_appointments",
        "enrich",
        "archive",
    }
    for entry in actions.ACTION_TYPES.values():
        assert entry["label"] and entry["description"] and entry["needs"]
        assert entry["scope"] in ("contacts.write", "contacts.readonly")
    task = {f["name"]: f for f in actions.ACTION_TYPES["create_task"]["fields"]}
    assert task["title"]["required"] and task["on"]["default"] == "created"
    assert task["due_in_days"]["default"] == 0
    assert actions.ACTION_TYPES["enrich"]["needs"].startswith("HighLevel source")
    assert actions.ACTION_TYPES["enrich"]["sources"] == ["highlevel"]
    assert set(actions.ACTION_TYPES["copy_appointments"]["targets"]) == {
        "shift4shop",
        "cin7",
        "ecwid",
        "orderspace",
    }
    assert actions.ACTION_TYPES["create_task"]["targets"] == ["highlevel"]
    assert not actions.ACTION_TYPES["archive"]["after_write"]
