"""Saving a batch's record links: two queries a batch, not one a record. And holding one
record while a run decides and writes it (`link_lock`)."""

from __future__ import annotations

import contextlib
import logging
import zlib
from collections.abc import Iterator

from django.db import IntegrityError, connection, transaction

from sync.models import Flow, RecordLink

logger = logging.getLogger(__name__)

LINK_FIELDS = [
    "target_id",
    "source_hash",
    "target_hash",
    "mapped_hash",
    "mapped_tags",
    "target_record_hash",
    "target_image_hash",
    "provenance",
    "last_run",
    "synced_at",
    "deleted_at",
]


def links_save(*, flow: Flow, links: list[RecordLink]) -> None:
    """New links created and known ones updated together. A run that raced us to a record
    (a webhook change applied while a backfill reads it) may have linked it first: then the
    links are saved one by one, updating the row the other run made."""
    new = [link for link in links if link.pk is None]
    known = [link for link in links if link.pk is not None]
    try:
        with transaction.atomic():
            RecordLink.objects.bulk_create(new)
            _links_update(known)
    except IntegrityError:
        for link in links:
            _link_save(flow, link)


# What every sync of a linked record sets, changed or not.
TOUCHED = ("last_run", "synced_at")


def _links_update(links: list[RecordLink]) -> None:
    """Most links a busy run saves were only touched (a record found unchanged: the same
    hashes and images, a new run and time): those go in one UPDATE, and only the others
    through bulk_update, whose CASE per field and row costs milliseconds per link to build
    — most of a webhook storm's time went there."""
    if not links:
        return
    compared = [name for name in LINK_FIELDS if name not in TOUCHED]
    stored = {
        row["pk"]: row
        for row in RecordLink.objects.filter(pk__in=[link.pk for link in links]).values(
            "pk", *compared
        )
    }
    touched, changed = [], []
    for link in links:
        row = stored.get(link.pk)
        same = row is not None and all(getattr(link, name) == row[name] for name in compared)
        (touched if same else changed).append(link)
    if changed:
        RecordLink.objects.bulk_update(changed, LINK_FIELDS)
    runs = {link.last_run_id for link in touched}
    for run_id in runs:  # one run saves them: one UPDATE
        ids = [link.pk for link in touched if link.last_run_id == run_id]
        synced_at = max(link.synced_at for link in touched if link.last_run_id == run_id)
        RecordLink.objects.filter(pk__in=ids).update(last_run_id=run_id, synced_at=synced_at)


def _link_save(flow: Flow, link: RecordLink) -> None:
    fields = {name: getattr(link, name) for name in LINK_FIELDS}
    try:
        with transaction.atomic():
            RecordLink.objects.update_or_create(
                flow=flow, source_id=link.source_id, defaults=fields
            )
    except IntegrityError:
        # Another source record already links to this target record: two source records
        # are the same person. Keep the first link; say so in the log.
        logger.warning(
            "Flow %s: %s and another source record both map to %s",
            flow.pk,
            link.source_id,
            link.target_id,
        )


@contextlib.contextmanager
def link_lock(*, flow_id: int, direction: str, source_id: str) -> Iterator[None]:
    """Hold one record of one flow's way while it is read, decided and written. Two runs of
    a flow can meet at a record (a webhook change applied while a poll reads the same
    change): without this, both may read the target before either writes, and both write.
    Held, the second reads what the first wrote and finds nothing left to do.

    A PostgreSQL session advisory lock, released as soon as the record is written (never
    held across a batch or a transaction, and one at a time, so no two runs can deadlock);
    on SQLite (one process) nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    # Two int4 keys: the flow, and the way and record (a collision only serialises more).
    keys = [flow_id % 2**31, zlib.crc32(f"{direction}:{source_id}".encode()) - 2**31]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", keys)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", keys)
