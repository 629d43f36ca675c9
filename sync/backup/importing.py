"""`workspace_import`: a backup (format.py) into a new workspace, or into an existing one.

All or nothing: the passphrase is checked and every row validated as the models validate
them, inside one transaction; the first problem raises BackupError, saying where in the file
and what to fix, and nothing stays written. Credentials are stored under this server's
CREDENTIALS_KEYS. Database ids are new; everything else is as it was exported.

Flows come in paused (unless `keep_running`): the old server may still be syncing them, and
two servers running one flow would both write every change. Flows paused before the export
keep their own reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from accounts.models import User, Workspace
from accounts.services import workspace_create
from integrations.models import Connection, ConnectionAudit
from mappings.models import Mapping, MappingSample, MappingTest, MappingVersion
from sync.backup.format import (
    CONNECTION_FIELDS,
    CURSOR_FIELDS,
    FLOW_FIELDS,
    FLOW_REFS,
    LINK_FIELDS,
    MAPPING_FIELDS,
    SAMPLE_FIELDS,
    TEST_FIELDS,
    VERSION_FIELDS,
    BackupError,
    Counts,
    auto_times,
    load,
    rows,
)
from sync.backup.sealing import unseal
from sync.models import Flow, RecordLink, SyncCursor
from sync.services import flow_problems

IMPORTED_PAUSE_REASON = (
    "Imported from a backup: resume it once the old server no longer runs this flow, "
    "or both will sync it."
)
BATCH = 1000


@dataclass
class ImportResult:
    workspace: Workspace
    created_workspace: bool
    counts: Counts
    paused: list[str] = field(default_factory=list)  # flows this import paused


def _clean(obj: models.Model, where: str, exclude: tuple[str, ...] = ()) -> None:
    """The model's own field checks (choices, lengths, required values), as BackupError."""
    try:
        obj.clean_fields(exclude=list(exclude))
    except ValidationError as error:
        problems = "; ".join(
            f"“{name}”: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
        raise BackupError(f"{where}: {problems}. Nothing was imported.") from None


def _create(model, objs: list, times: list[dict]) -> None:
    """Insert `objs`, then put back the times Django set itself on insert (created_at…)."""
    model.objects.bulk_create(objs, batch_size=BATCH)
    names = sorted({name for values in times for name in values})
    if not names:
        return
    for obj, values in zip(objs, times, strict=True):
        for name, value in values.items():
            setattr(obj, name, value)
    model.objects.bulk_update(objs, names, batch_size=BATCH)


def _split_times(model, values: dict, names) -> dict:
    return {name: values[name] for name in auto_times(model, names)}


def _ref(row: dict, where: str) -> str:
    ref = row.get("ref") if isinstance(row, dict) else None
    if not isinstance(ref, str) or not ref:
        raise BackupError(f"{where} has no “ref”; the file is damaged.")
    return ref


def _lookup(table: dict, ref, where: str, what: str, required: bool = True):
    if ref is None and not required:
        return None
    if not isinstance(ref, str) or ref not in table:
        raise BackupError(
            f"{where} refers to {what} {ref!r}, which is not in the file; the file is "
            "damaged or was edited. Nothing was imported."
        )
    return table[ref]


NAMED = (
    ("connections", Connection.objects.finished(), "connection"),
    ("mappings", Mapping.objects, "mapping"),
    ("flows", Flow.objects, "flow"),
)


def _names(data: dict, key: str) -> list[str]:
    return [str(row.get("name", "")).lower() for row in rows(data, key) if isinstance(row, dict)]


def _name_clashes(workspace: Workspace, data: dict) -> list[str]:
    """What of the workspace's own has a name a row of the file has (names are unique)."""
    clashes = []
    for key, queryset, what in NAMED:
        wanted = set(_names(data, key))
        clashes += [
            f"{what} “{name}”"
            for name in queryset.filter(workspace=workspace).values_list("name", flat=True)
            if name.lower() in wanted
        ]
    return clashes


def _check_names_unique(data: dict) -> None:
    for key, _, what in NAMED:
        names = _names(data, key)
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise BackupError(
                f"The file has two {key} named “{twice[0]}”; a workspace's {what} names are "
                "unique, so the file was edited or is damaged. Nothing was imported."
            )


def _connections(data, workspace, secrets: dict, actor, counts: Counts) -> dict:
    refs = {}
    for i, row in enumerate(rows(data, "connections")):
        where = f"connections[{i}]"
        ref = _ref(row, where)
        values = load(Connection, row, CONNECTION_FIELDS, where)
        where = f"Connection “{values['name']}” ({where})"
        times = _split_times(Connection, values, CONNECTION_FIELDS)
        connection = Connection(workspace=workspace, is_draft=False, **values)
        # Encrypted here with this server's first CREDENTIALS_KEYS key.
        connection.set_credentials(_lookup(secrets, ref, where, "credentials"))
        _clean(connection, where, exclude=("workspace",))
        _create(Connection, [connection], [times])
        ConnectionAudit.objects.create(
            workspace=workspace,
            connection=connection,
            connection_name=connection.name,
            actor=actor,
            action=ConnectionAudit.Action.CREATED,
            changes={
                "imported": "from a workspace backup",
                "credentials": sorted(secrets[ref]),
            },
        )
        refs[ref] = connection
    counts.connections = len(refs)
    return refs


def _mapping_children(mapping: Mapping, row: dict, where: str, users: dict, counts: Counts):
    for key, model, names in (
        ("versions", MappingVersion, VERSION_FIELDS),
        ("samples", MappingSample, SAMPLE_FIELDS),
        ("tests", MappingTest, TEST_FIELDS),
    ):
        objs, times = [], []
        for j, child in enumerate(rows(row, key, where)):
            child_where = f"{where}, {key}[{j}]"
            values = load(model, child, names, child_where)
            times.append(_split_times(model, values, names))
            obj = model(mapping=mapping, **values)
            if model is MappingVersion:
                author = child.get("created_by")
                obj.created_by = users.get(author) if isinstance(author, str) else None
            _clean(obj, child_where, exclude=("mapping", "created_by"))
            objs.append(obj)
        _create(model, objs, times)
        setattr(counts, key, getattr(counts, key) + len(objs))


def _mappings(data, workspace, connections: dict, counts: Counts) -> dict:
    # Versions name who saved them by e-mail: the same person if they have an account here.
    emails = {
        version.get("created_by")
        for row in rows(data, "mappings")
        if isinstance(row, dict)
        for version in rows(row, "versions")
        if isinstance(version, dict) and isinstance(version.get("created_by"), str)
    }
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    refs = {}
    for i, row in enumerate(rows(data, "mappings")):
        where = f"mappings[{i}]"
        ref = _ref(row, where)
        values = load(Mapping, row, MAPPING_FIELDS, where)
        where = f"Mapping “{values['name']}” ({where})"
        times = _split_times(Mapping, values, MAPPING_FIELDS)
        mapping = Mapping(workspace=workspace, **values)
        for name in ("source_connection", "target_connection"):
            connection = _lookup(connections, row.get(name), where, "connection", required=False)
            setattr(mapping, name, connection)
        _clean(mapping, where, exclude=("workspace", "source_connection", "target_connection"))
        _create(Mapping, [mapping], [times])
        _mapping_children(mapping, row, where, users, counts)
        refs[ref] = mapping
    counts.mappings = len(refs)
    return refs


def _flow_state(flow: Flow, keep_running: bool, paused: list[str]) -> None:
    if flow.enabled and not keep_running:
        flow.enabled = False
        flow.paused_reason = IMPORTED_PAUSE_REASON
        paused.append(flow.name)


def _flows(data, workspace, connections, mappings, keep_running, result: ImportResult):
    counts = result.counts
    for i, row in enumerate(rows(data, "flows")):
        where = f"flows[{i}]"
        values = load(Flow, row, FLOW_FIELDS, where)
        where = f"Flow “{values['name']}” ({where})"
        times = _split_times(Flow, values, FLOW_FIELDS)
        flow = Flow(
            workspace=workspace,
            source_connection=_lookup(
                connections, row.get("source_connection"), where, "connection"
            ),
            target_connection=_lookup(
                connections, row.get("target_connection"), where, "connection"
            ),
            mapping=_lookup(mappings, row.get("mapping"), where, "mapping"),
            reverse_mapping=_lookup(
                mappings, row.get("reverse_mapping"), where, "mapping", required=False
            ),
            **values,
        )
        _flow_state(flow, keep_running, result.paused)
        _clean(flow, where, exclude=("workspace", *FLOW_REFS))
        problems = flow_problems(flow)
        if problems:
            words = "; ".join(f"{name}: {' '.join(m)}" for name, m in problems.items())
            raise BackupError(
                f"{where} is not valid on this server: {words}. Nothing was imported."
            )
        _create(Flow, [flow], [times])
        _links(flow, row, where, counts)
        cursors, cursor_times = [], []
        for j, cursor_row in enumerate(rows(row, "cursors", where)):
            values = load(SyncCursor, cursor_row, CURSOR_FIELDS, f"{where}, cursors[{j}]")
            cursor_times.append(_split_times(SyncCursor, values, CURSOR_FIELDS))
            cursor = SyncCursor(flow=flow, **values)
            _clean(cursor, f"{where}, cursors[{j}]", exclude=("flow",))
            cursors.append(cursor)
        if len({c.name for c in cursors}) != len(cursors):
            raise BackupError(f"{where} has two cursors of one name; the file is damaged.")
        _create(SyncCursor, cursors, cursor_times)
        counts.cursors += len(cursors)
        counts.flows += 1


def _links(flow: Flow, row: dict, where: str, counts: Counts) -> None:
    links, sources, targets = [], set(), set()
    for j, link_row in enumerate(rows(row, "links", where)):
        link_where = f"{where}, links[{j}]"
        link = RecordLink(flow=flow, **load(RecordLink, link_row, LINK_FIELDS, link_where))
        _clean(link, link_where, exclude=("flow", "last_run"))
        # Unique per flow on either side (the table's constraints), checked here so a damaged
        # file gets words, not an IntegrityError.
        if link.source_id in sources or link.target_id in targets:
            raise BackupError(f"{link_where} links a record twice; the file is damaged.")
        sources.add(link.source_id)
        targets.add(link.target_id)
        links.append(link)
    _create(RecordLink, links, [])
    counts.links += len(links)


def workspace_import(
    *,
    data: dict,
    passphrase: str,
    into: Workspace | None = None,
    name: str = "",
    owner: User | None = None,
    keep_running: bool = False,
) -> ImportResult:
    """Import `data` (format.backup_parse) into `into`, or into a new workspace called `name`
    (default: the exported one's name) owned by `owner`. Raises BackupError (WrongPassphrase
    for the wrong passphrase) with nothing written."""
    if into is None and owner is None:
        raise BackupError("A new workspace needs an owner.")
    _check_names_unique(data)
    if into is not None:
        clashes = _name_clashes(into, data)
        if clashes:
            raise BackupError(
                f"Workspace “{into.name}” already has {', '.join(clashes)} (an earlier import "
                "of this file?). Nothing was imported: import into a new workspace instead "
                "(leave out --into), or rename or delete those first."
            )
    secrets = unseal(data.get("credentials"), passphrase)
    exported = data.get("workspace") if isinstance(data.get("workspace"), dict) else {}
    try:
        with transaction.atomic():
            if into is None:
                workspace = _new_workspace(name or str(exported.get("name") or ""), owner)
            else:
                workspace = into
            result = ImportResult(workspace, created_workspace=into is None, counts=Counts())
            connections = _connections(data, workspace, secrets, owner, result.counts)
            mappings = _mappings(data, workspace, connections, result.counts)
            _flows(data, workspace, connections, mappings, keep_running, result)
    except IntegrityError as error:
        # Whatever the checks above did not foresee (two versions of one number, say).
        raise BackupError(
            f"The file holds two rows where only one may be ({error}); it was edited or is "
            "damaged. Nothing was imported."
        ) from None
    return result


def _new_workspace(name: str, owner: User) -> Workspace:
    try:
        return workspace_create(name=name or "Imported workspace", owner=owner)
    except ValidationError as error:
        raise BackupError(f"The new workspace's name: {' '.join(error.messages)}") from None
