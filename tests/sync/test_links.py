"""Links saved a batch at a time (sync/links.py), and webhook changes a later read already
saw (sync.triggers.changes_covered)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sync.links import links_save
from sync.models import Flow, PendingChange, RecordLink, Run
from sync.triggers import COVERED_MARGIN, changes_covered
from tests.factories import FlowFactory, RunFactory


@pytest.fixture
def flow(db):
    return FlowFactory()


def _link(flow, n: int, **fields) -> RecordLink:
    return RecordLink.objects.create(
        flow=flow, source_id=str(n), target_id=f"t{n}", source_hash=f"h{n}", **fields
    )


def test_touched_and_changed_links_are_saved_alike(flow, django_assert_max_num_queries):
    old_run, new_run = RunFactory(flow=flow), RunFactory(flow=flow)
    links = [_link(flow, n, last_run=old_run) for n in range(30)]
    now = timezone.now()
    for link in links:  # every one synced by the new run; a few changed too
        link.last_run, link.synced_at = new_run, now
    for link in links[:3]:
        link.source_hash, link.provenance = "changed", {"target": {"email": {"value": "x"}}}
    links.append(
        RecordLink(flow=flow, source_id="new", target_id="tnew", last_run=new_run, synced_at=now)
    )

    with django_assert_max_num_queries(6):  # not one per link
        links_save(flow=flow, links=links)

    saved = {link.source_id: link for link in RecordLink.objects.filter(flow=flow)}
    assert len(saved) == 31
    assert {link.last_run_id for link in saved.values()} == {new_run.pk}
    assert all(link.synced_at == now for link in saved.values())
    assert [saved[str(n)].source_hash for n in range(4)] == ["changed"] * 3 + ["h3"]
    assert saved["0"].provenance == {"target": {"email": {"value": "x"}}}


def _change(flow, source_id: str, occurred_at, **fields) -> PendingChange:
    return PendingChange.objects.create(
        flow=flow, source_id=source_id, action="updated", occurred_at=occurred_at, **fields
    )


def test_a_change_older_than_the_last_read_of_its_record_is_covered(flow):
    now = timezone.now()
    _link(flow, 1, synced_at=now)
    _link(flow, 2, synced_at=now)
    _link(flow, 3, synced_at=now, deleted_at=now)
    old = now - COVERED_MARGIN - timedelta(seconds=1)
    covered = _change(flow, "1", old)
    changes = [
        covered,
        _change(flow, "2", now - COVERED_MARGIN + timedelta(seconds=5)),  # within the margin
        _change(flow, "4", old),  # never synced
        _change(flow, "3", old),  # its record was deleted
        _change(flow, "1", None, status=PendingChange.Status.DONE),  # no time: read it
    ]
    assert changes_covered(flow=flow, changes=changes) == [covered]
    retry = _change(flow, "2", old, attempts=1, status=PendingChange.Status.DONE)
    assert changes_covered(flow=flow, changes=[retry]) == []  # retries always run

    Flow.objects.filter(pk=flow.pk).update(direction=Flow.Direction.TWO_WAY)
    flow.refresh_from_db()
    assert changes_covered(flow=flow, changes=changes) == []  # a link's time may be the other way's
    backward = _change(flow, "1", old, direction=Run.Direction.BACKWARD)
    assert changes_covered(flow=flow, changes=[backward]) == []
