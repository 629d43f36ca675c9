"""Workspace backups: `workspace_export` and `workspace_import` (sync/backup/).

A round trip through the commands into a server with other CREDENTIALS_KEYS gives back
every stored field; the imported connections talk to the sandboxes and the imported flow
carries on from its links and cursors. Wrong passphrases and damaged files import nothing."""

import json
import os
import stat
from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command

from accounts.models import Membership, Role, Workspace
from integrations.connection_check import connection_check
from integrations.models import Connection, ConnectionAudit
from integrations.providers.base import ObjectType
from integrations.providers.registry import adapter_for
from mappings import services as mapping_services
from mappings.models import Mapping, MappingSample, MappingTest, MappingVersion
from sync.backup import format as backup_format
from sync.backup.format import BackupError
from sync.backup.importing import IMPORTED_PAUSE_REASON
from sync.backup.sealing import passphrase_read
from sync.models import Flow, RecordLink, Run, RunItem, SyncCursor
from sync.runner import run_execute
from sync.runs import RunRefused, run_start
from sync.services import flow_resume
from tests.factories import ConnectionFactory, FlowFactory
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.sync.conftest import both_ways, ecwid_to_highlevel

PASSPHRASE = "correct horse battery staple"
ENV = "BACKUP_TEST_PASSPHRASE"


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch):
    monkeypatch.setenv(ENV, PASSPHRASE)


def export(workspace, path, *extra) -> str:
    out = StringIO()
    call_command(
        "workspace_export",
        str(workspace.pk),
        "--output",
        str(path),
        "--passphrase-env",
        ENV,
        *extra,
        stdout=out,
    )
    return out.getvalue()


def import_(path, *extra, passphrase_env=ENV) -> str:
    out = StringIO()
    call_command(
        "workspace_import", str(path), "--passphrase-env", passphrase_env, *extra, stdout=out
    )
    return out.getvalue()


# --- what a workspace holds, read independently of the export's own field lists -------------
SKIP = {"id", "workspace", "credentials_encrypted", "mapping", "flow", "last_run"}


def _row(obj) -> dict:
    """Every column but ids and parents; other rows by name (str), users by e-mail."""
    row = {}
    for field in obj._meta.concrete_fields:
        if field.name in SKIP:
            continue
        value = getattr(obj, field.name)
        row[field.name] = str(value) if field.is_relation and value is not None else value
    return row


def _without_runs(provenance: dict) -> dict:
    return {
        side: {name: {k: v for k, v in e.items() if k != "run"} for name, e in entries.items()}
        for side, entries in provenance.items()
    }


def snapshot(workspace) -> dict:
    connections = Connection.objects.finished().filter(workspace=workspace).order_by("name")
    mappings = Mapping.objects.filter(workspace=workspace).order_by("name")
    flows = Flow.objects.filter(workspace=workspace).order_by("name")
    return {
        "connections": [{**_row(c), "credentials": dict(c.get_credentials())} for c in connections],
        "mappings": [
            {
                **_row(m),
                "versions": [_row(v) for v in m.versions.order_by("number")],
                "samples": [_row(s) for s in m.samples.order_by("name")],
                "tests": [_row(t) for t in m.tests.order_by("name")],
            }
            for m in mappings
        ],
        "flows": [
            {
                **_row(f),
                "links": [
                    {**_row(link), "provenance": _without_runs(link.provenance)}
                    for link in f.links.order_by("source_id")
                ],
                "cursors": [_row(c) for c in f.cursors.order_by("name")],
            }
            for f in flows
        ],
    }


MODELS = (
    Workspace,
    Membership,
    Connection,
    ConnectionAudit,
    Mapping,
    MappingVersion,
    MappingSample,
    MappingTest,
    Flow,
    RecordLink,
    SyncCursor,
)


def row_counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


# --- workspaces to export ---------------------------------------------------------------------
@pytest.fixture
def synced(sandboxes, workspace, owner) -> Flow:
    """A workspace as it is after real use: an Ecwid → HighLevel flow that has run live (so
    it has links and cursors), then made two-way; its mapping has a sample and a test; its
    connections were tested. Also a draft connection, which is not exported."""
    flow = ecwid_to_highlevel(workspace, owner)
    run = run_execute(run_id=run_start(flow=flow, trigger=Run.Trigger.MANUAL).pk)
    assert run.status == Run.Status.SUCCEEDED and run.created + run.updated > 0, run.message
    both_ways(
        flow,
        owner,
        conflict_policy=Flow.ConflictPolicy.REVIEW,
        field_policies={"email": "source"},
        poll_minutes=30,
        reconcile_time="03:15",
        delete_policy=Flow.DeletePolicy.ARCHIVE,
        actions=[{"type": "add_tags", "tags": ["from-shop"]}],
    )
    mapping = flow.mapping
    mapping_services.sample_create(mapping=mapping, name="Ann", record={"email": "a@example.com"})
    mapping_services.test_create(
        mapping=mapping,
        name="E-mail is copied",
        source_record={"email": "t@example.com"},
        expected_payload={"email": "t@example.com"},
    )
    assert connection_check(connection=flow.source_connection).ok
    assert connection_check(connection=flow.target_connection).ok
    ConnectionFactory(workspace=workspace, name="Half set up", is_draft=True)
    flow.refresh_from_db()
    return flow


@pytest.fixture
def small(workspace, owner) -> Flow:
    """A flow with a link and a cursor, no sandbox behind it: for the refusals."""
    flow = FlowFactory(workspace=workspace)
    RecordLink.objects.create(flow=flow, source_id="s1", target_id="t1", source_hash="abc")
    SyncCursor.objects.create(flow=flow, value={"updated_after": "2026-01-01T00:00:00Z"})
    return flow


def new_keys(settings) -> tuple[str, str]:
    """This server's CREDENTIALS_KEYS replaced by a key nothing was encrypted with, as on
    another server: (old first key, new key)."""
    old, new = settings.CREDENTIALS_KEYS[0], Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [new]
    return old, new


# --- the round trip ---------------------------------------------------------------------------
def test_a_round_trip_under_other_keys_gives_back_every_field(synced, owner, tmp_path, settings):
    workspace = synced.workspace
    before = snapshot(workspace)
    path = tmp_path / "backup.json"
    export(workspace, path)
    old_key, key = new_keys(settings)

    output = import_(path, "--owner", owner.email, "--new-name", "Moved")

    imported = Workspace.objects.exclude(pk=workspace.pk).get(name="Moved")
    assert Membership.objects.get(workspace=imported).user == owner
    after = snapshot(imported)
    flow = after["flows"][0]
    assert (flow["enabled"], flow["paused_reason"]) == (False, IMPORTED_PAUSE_REASON)
    flow["enabled"], flow["paused_reason"] = True, ""  # as exported, apart from the pause
    assert after == before
    assert len(before["flows"][0]["links"]) > 0 and len(before["flows"][0]["cursors"]) > 0
    assert before["flows"][0]["reverse_mapping"] and before["mappings"][0]["tests"]
    # Stored under the new key only.
    for connection in Connection.objects.filter(workspace=imported):
        Fernet(key).decrypt(connection.credentials_encrypted.encode())
        with pytest.raises(InvalidToken):
            Fernet(old_key).decrypt(connection.credentials_encrypted.encode())
    assert not Connection.objects.filter(workspace=imported, is_draft=True).exists()
    assert not Run.objects.filter(flow__workspace=imported).exists()
    assert "Imported 2 connections, 2 mappings" in output


def test_the_file_holds_no_secret_in_plain_text_and_only_its_owner_reads_it(synced, tmp_path):
    path = tmp_path / "backup.json"
    output = export(synced.workspace, path)
    raw = path.read_text()
    secrets = [
        value
        for connection in Connection.objects.filter(workspace=synced.workspace)
        for value in connection.get_credentials().values()
    ]
    assert len(secrets) >= 3  # Ecwid's two, HighLevel's token
    for secret in secrets:
        assert str(secret) not in raw
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = json.loads(raw)
    assert (data["format"], data["version"]) == ("contactbridge-workspace", 1)
    links, cursors = synced.links.count(), synced.cursors.count()
    assert (
        f"Exported workspace {synced.workspace.pk} “{synced.workspace.name}” to {path}: "
        "2 connections, 2 mappings (2 versions, 1 sample, 1 test), "
        f"1 flow ({links} record links, {cursors} cursor{'s' * (cursors != 1)})."
    ) in output, output


def test_the_imported_connections_work_and_the_imported_flow_carries_on(
    synced, owner, tmp_path, settings
):
    path = tmp_path / "backup.json"
    export(synced.workspace, path)
    new_keys(settings)
    import_(path, "--owner", owner.email, "--new-name", "Moved")
    imported = Workspace.objects.get(name="Moved")
    flow = Flow.objects.get(workspace=imported)
    for connection in (flow.source_connection, flow.target_connection):
        result = connection_check(connection=connection)
        assert result.ok, result.message
    source = adapter_for(flow.source_connection, ObjectType.CONTACT)
    linked = synced.links.order_by("source_id").first()  # the old server's
    assert source.get(linked.source_id)["email"]  # read with the re-encrypted credentials

    with pytest.raises(RunRefused, match="Imported from a backup"):
        run_start(flow=flow, trigger=Run.Trigger.MANUAL)
    flow = flow_resume(flow=flow)
    # After the export, in the shop: a linked customer changes e-mail and phone (only the
    # link can tell it is the contact synced before), and a new customer arrives.
    ECWID.tick()
    ECWID._admin(
        "PUT",
        f"/{linked.source_id}",
        json={"email": "moved-away@example.com", "billingPerson": {"phone": "+14155550999"}},
    )
    new_id = source.id_of(source.create({"email": "after-the-move@example.com"}))

    run = run_execute(run_id=run_start(flow=flow, trigger=Run.Trigger.MANUAL, dry_run=True).pk)

    assert run.dry_run and run.status == Run.Status.SUCCEEDED, run.message
    forward = RunItem.objects.filter(run=run, direction=Run.Direction.FORWARD)
    outcomes = dict(forward.values_list("source_id", "outcome"))
    # The links came along: the changed customer is an update of its contact, not a new
    # one; the cursor came along: the run read what changed, not the whole shop again.
    assert outcomes[linked.source_id] == RunItem.Outcome.UPDATED
    assert outcomes[new_id] == RunItem.Outcome.CREATED
    assert [s for s, o in outcomes.items() if o == RunItem.Outcome.CREATED] == [new_id]
    assert len(outcomes) < ECWID.seeded


# --- refusals: nothing written ----------------------------------------------------------------
def test_a_wrong_passphrase_is_refused_and_nothing_is_written(small, owner, tmp_path, monkeypatch):
    path = tmp_path / "backup.json"
    export(small.workspace, path)
    monkeypatch.setenv("WRONG", "not the passphrase at all")
    before = row_counts()
    with pytest.raises(CommandError, match="Wrong passphrase"):
        import_(path, "--owner", owner.email, passphrase_env="WRONG")
    assert row_counts() == before


def _edit(change):
    def edit(text: str) -> str:
        data = json.loads(text)
        change(data)
        return json.dumps(data)

    return edit


def _set(path: str, value):
    """An edit that sets data[a][b]... (path "flows.0.delete_policy") to value."""

    def change(data):
        *parents, last = [int(p) if p.lstrip("-").isdigit() else p for p in path.split(".")]
        for key in parents:
            data = data[key]
        data[last] = value

    return _edit(change)


def _twice(data):
    data["flows"][0]["links"].append(dict(data["flows"][0]["links"][0]))


def _flip_token(data):
    token = data["credentials"]["token"]
    data["credentials"]["token"] = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]


DAMAGE = {
    "cut short": (lambda text: text[: len(text) // 2], "not JSON"),
    "other JSON": (lambda text: '{"hello": "world"}', "not a workspace backup"),
    "newer format": (_set("version", 2), "format version 2.*newer ContactBridge.*Upgrade"),
    "unknown mapping": (_set("flows.0.mapping", "mapping-99"), "not in the file"),
    "missing section": (_edit(lambda d: d.pop("flows")), "no “flows” section"),
    "a list for a ref": (_set("flows.0.source_connection", ["connection-1"]), "not in the file"),
    "missing field": (_edit(lambda d: d["connections"][0].pop("provider")), "has no “provider”"),
    # Caught after the connections and mappings were written: the transaction undoes them.
    "bad choice in the last flow": (_set("flows.-1.delete_policy", "shred"), "delete_policy"),
    "bad date": (_set("flows.0.links.0.synced_at", "yesterday"), "synced_at"),
    "a link twice": (_edit(_twice), "links a record twice"),
    "changed credentials": (_edit(_flip_token), "Wrong passphrase"),
    "costly key": (_set("credentials.kdf.n", 2**30), "credentials section is damaged"),
    "duplicate names": (
        _edit(lambda d: d["connections"].append(dict(d["connections"][0], ref="connection-9"))),
        "two connections named",
    ),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_file_is_refused_with_what_to_fix_and_nothing_is_written(
    small, owner, tmp_path, damage
):
    edit, message = DAMAGE[damage]
    path = tmp_path / "backup.json"
    export(small.workspace, path)
    path.write_text(edit(path.read_text()))
    before = row_counts()
    with pytest.raises(CommandError, match=message) as refused:
        import_(path, "--owner", owner.email)
    assert "Traceback" not in str(refused.value)
    assert row_counts() == before


def test_importing_twice_into_one_workspace_is_refused(small, owner, tmp_path):
    path = tmp_path / "backup.json"
    export(small.workspace, path)
    before = row_counts()
    with pytest.raises(CommandError, match=r"already has connection .*Nothing was imported"):
        import_(path, "--into", str(small.workspace.pk))
    assert row_counts() == before


def test_importing_twice_into_new_workspaces_makes_a_second_copy_and_says_so(
    small, owner, tmp_path
):
    path = tmp_path / "backup.json"
    export(small.workspace, path)
    first = import_(path, "--owner", owner.email, "--new-name", "Copy")
    assert "Note:" not in first
    second = import_(path, "--owner", owner.email, "--new-name", "Copy")
    copies = Workspace.objects.filter(name="Copy").order_by("pk")
    assert copies.count() == 2
    assert f"Note: workspace {copies[0].pk} is also called “Copy”" in second
    assert "second copy" in second
    # Both copies' flows are paused: neither syncs until someone resumes one.
    assert not Flow.objects.filter(workspace__in=copies, enabled=True).exists()


# --- the commands -----------------------------------------------------------------------------
def test_the_import_says_what_it_imported_and_which_flows_it_paused(small, owner, tmp_path):
    path = tmp_path / "backup.json"
    export(small.workspace, path)
    output = import_(path, "--owner", owner.email)
    imported = Workspace.objects.exclude(pk=small.workspace.pk).get()
    assert imported.name == small.workspace.name  # the exported name by default
    assert (
        "Imported 2 connections, 1 mapping (0 versions, 0 samples, 0 tests), 1 flow "
        f"(1 record link, 1 cursor) into new workspace {imported.pk} “{imported.name}”."
    ) in output
    assert f"Paused 1 flow(s) ({small.name})" in output
    audit = ConnectionAudit.objects.filter(workspace=imported).first()
    assert (audit.action, audit.actor, audit.changes["imported"]) == (
        "created",
        owner,
        "from a workspace backup",
    )


def test_keep_running_imports_flows_as_they_were(small, owner, tmp_path):
    path = tmp_path / "backup.json"
    export(small.workspace, path)
    output = import_(path, "--owner", owner.email, "--keep-running")
    flow = Flow.objects.exclude(workspace=small.workspace).get()
    assert flow.enabled and flow.paused_reason == "" and flow.mode == Flow.Mode.LIVE
    assert "Paused" not in output


def test_a_flow_paused_before_the_export_keeps_its_reason(small, owner, tmp_path):
    small.enabled, small.paused_reason = False, "Waiting for the new price list"
    small.save()
    path = tmp_path / "backup.json"
    export(small.workspace, path)
    output = import_(path, "--into", str(_empty_workspace(owner).pk))
    flow = Flow.objects.exclude(workspace=small.workspace).get()
    assert (flow.enabled, flow.paused_reason) == (False, "Waiting for the new price list")
    assert "Paused" not in output and "into workspace" in output


def _empty_workspace(owner) -> Workspace:
    workspace = Workspace.objects.create(name="Empty")
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    return workspace


def test_the_export_will_not_overwrite_a_file_unless_forced(small, tmp_path):
    path = tmp_path / "backup.json"
    path.write_text("an older backup")
    with pytest.raises(CommandError, match=r"exists.*--force"):
        export(small.workspace, path)
    assert path.read_text() == "an older backup"
    export(small.workspace, path, "--force")
    assert json.loads(path.read_text())["format"] == "contactbridge-workspace"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["workspace_export", "424242", "-o", "{tmp}/x.json"], "There is no workspace 424242"),
        (
            ["workspace_export", "{ws}", "-o", "{tmp}/x.json", "--passphrase-env", "NO_SUCH_VAR"],
            "NO_SUCH_VAR is not set",
        ),
        (["workspace_export", "{ws}", "-o", "{tmp}/x.json"], "--passphrase-env NAME"),
        (
            ["workspace_export", "{ws}", "-o", "{tmp}/x.json", "--passphrase-env", "SHORT"],
            "at least 12 characters",
        ),
        (["workspace_import", "{tmp}/none.json", "--owner", "{owner}"], "Cannot read"),
        (["workspace_import", "{tmp}/b.json"], "needs an owner"),
        (["workspace_import", "{tmp}/b.json", "--owner", "nobody@example.com"], "No user here has"),
        (
            ["workspace_import", "{tmp}/b.json", "--into", "{ws}", "--owner", "{owner}"],
            "keeps its members",
        ),
        (["workspace_import", "{tmp}/b.json", "--into", "424242"], "no workspace 424242"),
    ],
)
def test_the_commands_explain_what_is_missing(
    small, owner, tmp_path, monkeypatch, command, message
):
    monkeypatch.setenv("SHORT", "short")
    export(small.workspace, tmp_path / "b.json")
    args = [arg.format(tmp=tmp_path, ws=small.workspace.pk, owner=owner.email) for arg in command]
    before = row_counts()
    with pytest.raises(CommandError, match=message):
        call_command(*args, stdout=StringIO())
    assert row_counts() == before
    assert not (tmp_path / "x.json").exists()


def test_at_a_terminal_the_passphrase_is_typed_twice_for_an_export(monkeypatch):
    typed = iter([PASSPHRASE, PASSPHRASE, PASSPHRASE, "a typo in it"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    assert passphrase_read(env=None, confirm=True, interactive=True) == PASSPHRASE
    with pytest.raises(BackupError, match="The two passphrases differ"):
        passphrase_read(env=None, confirm=True, interactive=True)


# --- the format keeps up with the models ------------------------------------------------------
def test_every_column_is_exported_or_left_out_on_purpose():
    f = backup_format
    exported = {
        Connection: f.CONNECTION_FIELDS,
        Mapping: f.MAPPING_FIELDS + f.MAPPING_REFS,
        MappingVersion: (*f.VERSION_FIELDS, "created_by"),
        MappingSample: f.SAMPLE_FIELDS,
        MappingTest: f.TEST_FIELDS,
        Flow: f.FLOW_FIELDS + f.FLOW_REFS,
        RecordLink: f.LINK_FIELDS,
        SyncCursor: f.CURSOR_FIELDS,
    }
    for model, names in exported.items():
        columns = {field.name for field in model._meta.concrete_fields}
        left_out = set(f.LEFT_OUT[model._meta.label])
        assert columns == set(names) | left_out, model._meta.label
        assert not set(names) & left_out, model._meta.label


def test_what_hangs_off_a_flow_or_mapping_is_exported_or_named_as_history():
    # A new table under flows or mappings must be a decision: exported, or history.
    history = {"Run", "PendingChange", "Conflict", "DriftReport"}
    exported = {"RecordLink", "SyncCursor", "MappingVersion", "MappingSample", "MappingTest"}
    for model in (Flow, Mapping):
        children = {
            rel.related_model.__name__
            for rel in model._meta.related_objects
            if rel.one_to_many and rel.related_model not in (Flow,)
        }
        assert children <= history | exported, model
