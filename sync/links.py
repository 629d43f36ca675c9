"""Saving a batch's record links: two queries a batch, not one a record."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

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
            RecordLink.objects.bulk_update(known, LINK_FIELDS)
    except IntegrityError:
        for link in links:
            _link_save(flow, link)


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
