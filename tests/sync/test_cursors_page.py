"""The cursor inspector: each cursor of a flow in words, who may see and rewind it, every
refusal of a rewind, and a rewind replayed over real HTTP writing nothing twice."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.providers import cursors
from integrations.providers.base import ObjectType
from integrations.providers.cscart.adapters import CsCartCursor
from integrations.providers.ecwid.adapters import EcwidCursor, EcwidDeletedCursor
from integrations.providers.registry import adapter_for
from sync.cursors_admin import (
    REPLAY_IS_SAFE,
    RewindRefused,
    cursor_rewind,
    cursors_describe,
    rewind_time_parse,
)
from sync.models import RecordLink, Run, SyncCursor
from sync.runner import run_execute
from sync.runs import run_start
from tests.factories import ConnectionFactory, FlowFactory, MembershipFactory
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL

LOGIN = "/accounts/login/"
SINCE = datetime(2026, 3, 4, 12, 30, 15, tzinfo=UTC)
DELETED_SINCE = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)


def _marker(moment: datetime) -> str:
    return cursors.time_marker(moment, {"id": "x"}, moment)


@pytest.fixture
def ecwid_flow(workspace):
    """An Ecwid → HighLevel flow whose cursor the Ecwid adapter's own type wrote: two
    customers read at exactly its time, one a minute earlier, and its deleted-log mark."""
    flow = FlowFactory(workspace=workspace, name="Shop into CRM")
    cursor = EcwidCursor(
        since=SINCE,
        recent={
            "1001": _marker(SINCE),
            "1002": _marker(SINCE),
            "990": _marker(SINCE - timedelta(minutes=1)),
        },
        deleted=EcwidDeletedCursor(since=DELETED_SINCE),
    )
    SyncCursor.objects.create(flow=flow, name="changes", value=cursor.to_json())
    return flow


def page_url(flow, **query):
    address = reverse("sync:flow-cursors", args=[flow.workspace_id, flow.pk])
    return f"{address}?{urlencode(query)}" if query else address


def rewind_url(flow):
    return reverse("sync:cursor-rewind", args=[flow.workspace_id, flow.pk])


def saved(flow, name="changes"):
    row = SyncCursor.objects.get(flow=flow, name=name)
    return adapter_for(flow.source_connection, ObjectType.CONTACT).cursor_from_json(row.value)


# --- in words ---------------------------------------------------------------------------------
def test_the_page_says_what_the_cursor_holds_in_words(owner_client, ecwid_flow):
    page = owner_client.get(page_url(ecwid_flow)).content.decode()
    assert "Resumes from 2026-03-04 12:30:15 (UTC)" in page
    assert "every customer changed since 2026-03-04 12:28:15 (UTC) (2 minutes earlier" in page
    assert "Already read at that moment: 2 customers (1001, 1002)" in page
    assert "990" not in page  # read earlier than the cursor's time: not "at" it
    assert "Deleted:</strong> read up to 2026-03-05 08:00:00 (UTC)." in page
    assert "Last advanced" in page and "Rewind to this time" in page


def test_times_are_shown_in_the_flows_time_zone(owner_client, ecwid_flow):
    ecwid_flow.schedule_timezone = "America/New_York"
    ecwid_flow.save()
    page = owner_client.get(page_url(ecwid_flow)).content.decode()
    assert "Resumes from 2026-03-04 07:30:15 (America/New_York)" in page


def test_a_snapshot_cursor_says_a_rewind_is_a_full_read(owner_client, workspace):
    shop = ConnectionFactory(workspace=workspace, provider="cscart")
    flow = FlowFactory(workspace=workspace, source_connection=shop)
    cursor = CsCartCursor(digests={"1": "aa", "2": "bb"}, deleted=("7",))
    SyncCursor.objects.create(flow=flow, name="changes", value=cursor.to_json())
    page = owner_client.get(page_url(flow)).content.decode()
    assert "CS-Cart has no “changed since” filter" in page
    assert "the last complete read, which found 2" in page
    assert "1 deleted, not yet reported" in page
    assert "Rewind to this time" not in page and "Read everything again" in page


def test_an_unreadable_cursor_says_so(owner_client, ecwid_flow):
    SyncCursor.objects.filter(flow=ecwid_flow).update(value={"kind": "bogus"})
    page = owner_client.get(page_url(ecwid_flow)).content.decode()
    assert "This cursor cannot be read" in page and "rewind it to the start" in page
    (info,) = cursors_describe(flow=ecwid_flow)
    assert info.kind == "unreadable"


def test_a_flow_without_cursors_says_its_first_live_run_reads_everything(owner_client, workspace):
    flow = FlowFactory(workspace=workspace)
    page = owner_client.get(page_url(flow)).content.decode()
    assert "No cursor yet" in page


# --- who may do what -------------------------------------------------------------------------
def test_viewers_read_the_page_but_cannot_rewind(client, workspace, ecwid_flow):
    client.force_login(MembershipFactory(workspace=workspace, role="viewer").user)
    page = client.get(page_url(ecwid_flow, cursor="changes", to="2026-01-01T00:00"))
    assert page.status_code == 200 and "Resumes from" in page.content.decode()
    assert "Rewind to this time" not in page.content.decode()
    assert page.context["confirm"] is None  # no confirmation offered to a viewer
    data = {"cursor": "changes", "to": "2026-01-01T00:00", "confirm": "1"}
    assert client.post(rewind_url(ecwid_flow), data).status_code == 403
    assert saved(ecwid_flow).since == SINCE


def test_outsiders_get_404_and_anonymous_visitors_sign_in(client, outsider, ecwid_flow):
    data = {"cursor": "changes", "start": "1", "confirm": "1"}
    for address in (page_url(ecwid_flow), rewind_url(ecwid_flow)):
        assert client.post(address, data).url.startswith(LOGIN)
    assert client.get(page_url(ecwid_flow)).url.startswith(LOGIN)
    client.force_login(outsider)
    assert client.get(page_url(ecwid_flow)).status_code == 404
    assert client.post(rewind_url(ecwid_flow), data).status_code == 404
    assert client.get(rewind_url(ecwid_flow)).status_code == 405
    assert saved(ecwid_flow).since == SINCE


def test_the_flow_page_links_to_its_cursors(owner_client, ecwid_flow):
    detail = reverse("sync:flow-detail", args=[ecwid_flow.workspace_id, ecwid_flow.pk])
    assert page_url(ecwid_flow) in owner_client.get(detail).content.decode()


# --- rewinding through the page ------------------------------------------------------------------
def test_a_rewind_is_confirmed_first_then_done(owner_client, ecwid_flow):
    ask = owner_client.post(rewind_url(ecwid_flow), {"cursor": "changes", "to": "2026-03-01T09:00"})
    assert ask.status_code == 302 and "to=2026-03-01T09%3A00" in ask.url
    confirm = owner_client.get(ask.url)
    page = confirm.content.decode()
    assert "Rewind “changes” to 2026-03-01 09:00:00 (UTC)?" in page
    assert REPLAY_IS_SAFE.replace("'", "&#x27;") in page
    assert saved(ecwid_flow).since == SINCE  # nothing changed yet
    data = {"cursor": "changes", "to": "2026-03-01T09:00", "confirm": "1"}
    done = owner_client.post(rewind_url(ecwid_flow), data, follow=True)
    (message,) = [str(m) for m in done.context["messages"]]
    assert message.startswith("Rewound. The next run reads what changed in Ecwid by Lightspeed")
    cursor = saved(ecwid_flow)
    assert isinstance(cursor, EcwidCursor)
    assert cursor.since == datetime(2026, 3, 1, 9, 0, tzinfo=UTC) and not cursor.recent
    assert cursor.deleted.since == DELETED_SINCE  # deletes are not re-applied


def test_a_refused_rewind_says_why_and_changes_nothing(owner_client, ecwid_flow):
    future = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    cases = {
        "not a time": "is not a date and time we can read",
        future: "is in the future",
        "2026-03-05T00:00": "moving it to a later time would skip changes",
        "1969-07-20T20:17": "Choose a time from 1970 on",
        "0001-01-01T00:00+05:00": "Choose a time from 1970 on",
        "": "Choose the date and time",
    }
    for text, words in cases.items():
        page = owner_client.get(page_url(ecwid_flow, cursor="changes", to=text))
        assert page.status_code == 200 and words in page.context["refusal"], text
        data = {"cursor": "changes", "to": text, "confirm": "1"}
        done = owner_client.post(rewind_url(ecwid_flow), data, follow=True)
        assert any(words in str(m) for m in done.context["messages"]), text
    assert saved(ecwid_flow).since == SINCE


def test_a_rewind_is_refused_while_a_run_is_in_flight(owner_client, ecwid_flow):
    run = Run.objects.create(flow=ecwid_flow, trigger=Run.Trigger.POLL, status=Run.Status.RUNNING)
    with pytest.raises(RewindRefused, match=f"Run {run.pk} of this flow is running"):
        cursor_rewind(flow=ecwid_flow, name="changes", to=SINCE - timedelta(days=1))
    with pytest.raises(RewindRefused, match="Rewind once it has finished"):
        cursor_rewind(flow=ecwid_flow, name="changes", to=None)
    data = {"cursor": "changes", "start": "1", "confirm": "1"}
    done = owner_client.post(rewind_url(ecwid_flow), data, follow=True)
    (message,) = [str(m) for m in done.context["messages"]]
    assert message.startswith("Not rewound: Run")
    assert saved(ecwid_flow).since == SINCE
    run.in_flight = False
    run.status = Run.Status.SUCCEEDED
    run.save()
    cursor_rewind(flow=ecwid_flow, name="changes", to=None)
    assert saved(ecwid_flow).since is None


def test_other_refusals_of_the_service(ecwid_flow, workspace):
    with pytest.raises(RewindRefused, match="no “deleted” cursor"):
        cursor_rewind(flow=ecwid_flow, name="deleted", to=None)
    flow = FlowFactory(workspace=workspace)
    SyncCursor.objects.create(flow=flow, name="changes", value=EcwidCursor().to_json())
    with pytest.raises(RewindRefused, match="has not finished a first read"):
        cursor_rewind(flow=flow, name="changes", to=SINCE)
    SyncCursor.objects.filter(flow=flow).update(value={"kind": "bogus"})
    with pytest.raises(RewindRefused, match="rewind it to the start instead"):
        cursor_rewind(flow=flow, name="changes", to=SINCE)
    # To the start, an unreadable cursor is replaced by the adapter's own fresh one.
    cursor_rewind(flow=flow, name="changes", to=None)
    assert saved(flow) == EcwidCursor()


NASTY = ["\x00", "a\x00b", "[" * 10000, "9" * 300_000, "2026-13-45T99:99", "-1", "🙂" * 50]


def test_nasty_values_are_refused_politely_and_change_nothing(owner_client, ecwid_flow):
    for value in NASTY:
        for query in (
            {"cursor": value, "to": "2026-03-01T09:00"},
            {"cursor": "changes", "to": value},
        ):
            page = owner_client.get(page_url(ecwid_flow), query)
            assert page.status_code == 200 and page.context["refusal"], value[:20]
            done = owner_client.post(rewind_url(ecwid_flow), {**query, "confirm": "1"})
            assert done.status_code == 302
    assert saved(ecwid_flow).since == SINCE


def test_the_time_typed_is_read_in_the_flows_time_zone():
    moment = rewind_time_parse("2026-03-01 09:00", "Europe/Paris")
    assert moment == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert rewind_time_parse("2026-03-01T09:00+02:00", "Europe/Paris").hour == 7
    with pytest.raises(RewindRefused, match="is not a date and time"):
        rewind_time_parse("9" * 500, "UTC")


def test_a_snapshot_rewind_reads_everything_again_and_still_reports_deletes(workspace):
    shop = ConnectionFactory(workspace=workspace, provider="cscart")
    flow = FlowFactory(workspace=workspace, source_connection=shop)
    before = CsCartCursor(digests={"1": cursors.record_digest({"id": 1}), "2": "bb"})
    SyncCursor.objects.create(flow=flow, name="changes", value=before.to_json())
    words = cursor_rewind(flow=flow, name="changes", to=datetime(2026, 1, 1, tzinfo=UTC))
    assert "means starting a full read again" in words
    after = saved(flow)
    assert isinstance(after, CsCartCursor) and set(after.digests) == {"1", "2"}
    # Record 1 unchanged is yielded again; record 2, gone, is still reported deleted.
    steps = list(cursors.scan_snapshot(after, [{"id": 1}], describe=lambda r: (str(r["id"]), r)))
    assert [item for item, _ in steps if item] == [{"id": 1}]
    assert steps[-1][1].deleted == ("2",)


# --- rewind and replay over real HTTP ----------------------------------------------------------
def _writes(stats: dict) -> int:
    return sum(
        count
        for route, count in stats.get("requests_by_route", {}).items()
        if not route.startswith(("GET", "POST /contacts/search"))
    )


def _highlevel_contacts(flow) -> int:
    target = adapter_for(flow.target_connection, ObjectType.CONTACT)
    return sum(1 for _ in target.list_changed(target.new_cursor()))


def test_a_rewind_replayed_creates_no_duplicates_and_writes_only_what_changed(flow, owner):
    first = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert first.status == Run.Status.SUCCEEDED and first.created >= ECWID.seeded
    links, contacts = RecordLink.objects.filter(flow=flow).count(), _highlevel_contacts(flow)
    changed = RecordLink.objects.filter(flow=flow).order_by("source_id").first().source_id
    ECWID.change_outside(changed, 1)
    words = cursor_rewind(flow=flow, name="changes", to=datetime(2000, 1, 1, tzinfo=UTC))
    assert "2000-01-01 00:00:00 (UTC)" in words
    before = HIGHLEVEL._control("GET", "")["stats"]
    replay = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    after = HIGHLEVEL._control("GET", "")["stats"]
    assert replay.status == Run.Status.SUCCEEDED, replay.message
    # Everything was read again (the rewind took), and only the changed record was written.
    assert replay.processed >= ECWID.seeded
    assert replay.created == 0 and replay.updated == 1
    assert replay.unchanged == replay.processed - 1 - replay.skipped
    assert replay.items.get(outcome="updated").source_id == changed
    assert 1 <= _writes(after) - _writes(before) <= 2  # the one update (and its note, if any)
    assert RecordLink.objects.filter(flow=flow).count() == links
    assert _highlevel_contacts(flow) == contacts
    assert saved(flow).since is not None and saved(flow).since > datetime(2000, 1, 2, tzinfo=UTC)
