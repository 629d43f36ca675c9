"""`workspace_export`: a workspace's connections, mappings and flows as a backup (format.py).

In it: finished connections (drafts are the wizard's unsaved work) with their credentials
sealed by the passphrase; mappings with their versions, samples and tests; flows with their
record links and cursors, so the importing server carries on where this one stopped instead
of reading everything again and creating duplicates in targets that cannot upsert.

Left out: runs and their items, pending changes and dead letters, conflicts, drift reports,
the webhook inbox, audit rows and members; they are history or in-flight work of this server.
"""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Workspace
from integrations.crypto import CredentialsUnreadable
from integrations.models import Connection
from mappings.models import Mapping
from sync.backup.format import (
    CONNECTION_FIELDS,
    CURSOR_FIELDS,
    FLOW_FIELDS,
    FORMAT,
    FORMAT_VERSION,
    LINK_FIELDS,
    MAPPING_FIELDS,
    SAMPLE_FIELDS,
    TEST_FIELDS,
    VERSION_FIELDS,
    BackupError,
    Counts,
    dump,
)
from sync.backup.sealing import seal
from sync.models import Flow, RecordLink, SyncCursor


def _link(link: RecordLink) -> dict:
    row = dump(link, LINK_FIELDS)
    # Provenance names the run that wrote each field; runs stay here, and on the new server
    # the same number would be another run, so the reference is dropped (value, time and
    # mapping version remain).
    row["provenance"] = {
        side: {
            field: {k: v for k, v in entry.items() if k != "run"}
            if isinstance(entry, dict)
            else entry
            for field, entry in entries.items()
        }
        if isinstance(entries, dict)
        else entries
        for side, entries in (link.provenance or {}).items()
    }
    return row


def _connections(workspace: Workspace, counts: Counts) -> tuple[list, dict, dict]:
    rows, refs, secrets = [], {}, {}
    for n, connection in enumerate(
        Connection.objects.finished().filter(workspace=workspace).order_by("pk"), start=1
    ):
        ref = f"connection-{n}"
        refs[connection.pk] = ref
        try:
            secrets[ref] = dict(connection.get_credentials())
        except CredentialsUnreadable:
            raise BackupError(
                f"The credentials of connection “{connection.name}” cannot be read with this "
                "server's CREDENTIALS_KEYS, so they cannot be exported. Put the key they were "
                "encrypted with back into CREDENTIALS_KEYS, or reconnect the connection first. "
                "Nothing was written."
            ) from None
        rows.append({"ref": ref, **dump(connection, CONNECTION_FIELDS)})
    counts.connections = len(rows)
    return rows, refs, secrets


def _mappings(workspace: Workspace, connection_refs: dict, counts: Counts) -> tuple[list, dict]:
    rows, refs = [], {}
    mappings = Mapping.objects.filter(workspace=workspace).prefetch_related(
        "versions__created_by", "samples", "tests"
    )
    for n, mapping in enumerate(mappings.order_by("pk"), start=1):
        ref = f"mapping-{n}"
        refs[mapping.pk] = ref
        versions = [
            {
                **dump(version, VERSION_FIELDS),
                "created_by": version.created_by.email if version.created_by else None,
            }
            for version in sorted(mapping.versions.all(), key=lambda v: v.number)
        ]
        samples = [dump(s, SAMPLE_FIELDS) for s in sorted(mapping.samples.all(), key=_pk)]
        tests = [dump(t, TEST_FIELDS) for t in sorted(mapping.tests.all(), key=_pk)]
        rows.append(
            {
                "ref": ref,
                **dump(mapping, MAPPING_FIELDS),
                # A mapping outlives its preview connections; a draft one is not exported.
                "source_connection": connection_refs.get(mapping.source_connection_id),
                "target_connection": connection_refs.get(mapping.target_connection_id),
                "versions": versions,
                "samples": samples,
                "tests": tests,
            }
        )
        counts.versions += len(versions)
        counts.samples += len(samples)
        counts.tests += len(tests)
    counts.mappings = len(rows)
    return rows, refs


def _pk(obj) -> int:
    return obj.pk


def _flows(workspace, connection_refs: dict, mapping_refs: dict, counts: Counts) -> list:
    rows = []
    for n, flow in enumerate(Flow.objects.filter(workspace=workspace).order_by("pk"), start=1):
        refs = {
            "source_connection": connection_refs.get(flow.source_connection_id),
            "target_connection": connection_refs.get(flow.target_connection_id),
            "mapping": mapping_refs.get(flow.mapping_id),
            "reverse_mapping": mapping_refs.get(flow.reverse_mapping_id),
        }
        missing = [k for k in ("source_connection", "target_connection", "mapping") if not refs[k]]
        if missing:
            raise BackupError(
                f"Flow “{flow.name}” uses a {missing[0].replace('_', ' ')} that is not a saved "
                "connection or mapping of this workspace; fix the flow first. Nothing was written."
            )
        # Cursors first: a batch a worker commits in between then leaves links ahead of the
        # cursor (those records are read again and found unchanged), never a cursor ahead
        # of its links (records skipped, or matched afresh and created twice).
        cursors = [
            dump(cursor, CURSOR_FIELDS)
            for cursor in SyncCursor.objects.filter(flow=flow).order_by("name")
        ]
        links = [
            _link(link)
            for link in RecordLink.objects.filter(flow=flow).order_by("pk").iterator(2000)
        ]
        rows.append(
            {
                "ref": f"flow-{n}",
                **dump(flow, FLOW_FIELDS),
                **refs,
                "links": links,
                "cursors": cursors,
            }
        )
        counts.links += len(links)
        counts.cursors += len(cursors)
    counts.flows = len(rows)
    return rows


def workspace_export(*, workspace: Workspace, passphrase: str) -> tuple[dict, Counts]:
    """The backup of `workspace` (a dict, to be written as JSON) and what it holds."""
    counts = Counts()
    connections, connection_refs, secrets = _connections(workspace, counts)
    mappings, mapping_refs = _mappings(workspace, connection_refs, counts)
    flows = _flows(workspace, connection_refs, mapping_refs, counts)
    backup = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "workspace": {"id": workspace.pk, "name": workspace.name},
        "connections": connections,
        "mappings": mappings,
        "flows": flows,
        "credentials": seal(secrets, passphrase),
    }
    return backup, counts
