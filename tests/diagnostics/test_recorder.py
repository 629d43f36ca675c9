"""The API call recorder (diagnostics.recorder): real client calls through the sandboxes become
ApiCall rows, written by the recorder's own thread outside the caller's transaction.

The flusher writes from its own database connection, so these tests need real commits
(`transaction=True`); `recording` gives each test a fresh recorder and stops it before the
test database is emptied."""

import logging
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import DataError, OperationalError, transaction

from diagnostics import recorder
from diagnostics.models import ApiCall
from integrations import calls
from integrations.errors import TransientError
from integrations.providers.ecwid.client import EcwidClient
from integrations.providers.highlevel.client import HighLevelClient
from tests.factories import ConnectionFactory, WorkspaceFactory
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL
from tests.support import worker_database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def no_sleep(seconds: float) -> None:
    """Retries without the waiting."""


@pytest.fixture(scope="module")
def sandboxes():
    ECWID.start()
    HIGHLEVEL.start()
    yield
    HIGHLEVEL.stop()
    ECWID.stop()


@pytest.fixture
def recording(transactional_db, settings):
    """A fresh recorder as the only observer, recording on; stopped (its rows written) before
    the test's data is flushed."""
    settings.DIAGNOSTICS_RECORD_CALLS = True
    saved = list(calls._observers)
    recorder.recorder_stop()
    recorder.recorder_reset()
    calls._observers[:] = [recorder.api_call_record]
    cache.clear()  # HighLevel's learned rate limit
    yield recorder
    recorder.recorder_stop()
    recorder.recorder_reset()
    calls._observers[:] = saved


@pytest.fixture
def highlevel(sandboxes):
    yield HIGHLEVEL
    HIGHLEVEL._control("POST", "/reset")


@pytest.fixture
def held(recording, monkeypatch):
    """The flusher writes only when asked (recorder_flush), never on its own tick."""
    monkeypatch.setattr(recorder, "FLUSH_SECONDS", 3600.0)
    monkeypatch.setattr(recorder, "FLUSH_AT", 1_000_000)
    return recording


def _call(workspace_id, connection_id=None, *, endpoint="/customers") -> calls.ApiCall:
    return calls.ApiCall(
        at=datetime.now(UTC),
        provider="ecwid",
        connection_id=connection_id,
        workspace_id=workspace_id,
        method="GET",
        endpoint=endpoint,
        status=200,
        latency_ms=12.5,
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the socket closes


# --- real calls ---------------------------------------------------------------------------------
def test_a_real_call_is_recorded_with_its_template_status_latency_and_headers(
    recording, highlevel, workspace
):
    connection = highlevel.make_connection(workspace)
    contact_id = next(iter(highlevel.app.data.contacts))
    highlevel._control("POST", "", json={"latency_ms": 120})
    client = HighLevelClient(connection, sleep=no_sleep)
    started = datetime.now(UTC)

    assert client.find_duplicate(email="jane.doe@example.org") is None
    client.get_contact(contact_id)
    assert recorder.recorder_flush()

    duplicate, get = ApiCall.objects.order_by("at")
    assert (duplicate.method, duplicate.endpoint) == ("GET", "/contacts/search/duplicate")
    assert (get.method, get.endpoint) == ("GET", "/contacts/{id}")
    for row in (duplicate, get):
        assert (row.status, row.error_kind, row.attempt) == (200, "", 1)
        assert (row.workspace_id, row.connection_id) == (workspace.pk, connection.pk)
        assert row.provider == "highlevel"
        assert 120 <= row.latency_ms < 10_000  # the sandbox's added latency, measured
        assert started <= row.at <= datetime.now(UTC)
        headers = {name.lower(): value for name, value in row.rate_limit.items()}
        assert headers["x-ratelimit-max"] == "100000"
        assert int(headers["x-ratelimit-remaining"]) < 100_000
        assert all(name.startswith("x-ratelimit") for name in headers)
    # Neither the query string nor the e-mail nor the contact's id is stored.
    stored = repr(list(ApiCall.objects.values()))
    assert "?" not in duplicate.endpoint and "jane" not in stored and "example.org" not in stored
    assert contact_id not in stored


def test_retries_are_one_row_per_attempt(recording, highlevel, workspace):
    client = HighLevelClient(highlevel.make_connection(workspace), sleep=no_sleep, max_attempts=3)
    highlevel._control("POST", "", json={"error_rate": 1.0, "error_status": 503})

    with pytest.raises(TransientError):
        client.find_duplicate(email="nobody@example.org")
    assert recorder.recorder_flush()

    rows = ApiCall.objects.order_by("attempt")
    assert [(r.attempt, r.status, r.error_kind) for r in rows] == [
        (1, 503, "server"),
        (2, 503, "server"),
        (3, 503, "server"),
    ]
    assert {r.endpoint for r in rows} == {"/contacts/search/duplicate"}


def test_an_unreachable_host_is_recorded_as_a_network_error(recording, workspace):
    connection = ConnectionFactory(
        workspace=workspace,
        provider="ecwid",
        settings={"store_id": "1003", "base_url": f"http://127.0.0.1:{_closed_port()}"},
    )
    with pytest.raises(TransientError):
        EcwidClient(connection, sleep=no_sleep, max_attempts=2).check()
    assert recorder.recorder_flush()

    rows = ApiCall.objects.order_by("attempt")
    assert [(r.attempt, r.status, r.error_kind, r.endpoint) for r in rows] == [
        (1, None, "network", "/profile"),
        (2, None, "network", "/profile"),
    ]
    assert rows[0].rate_limit == {} and rows[0].connection_id == connection.pk


class Undo(Exception):
    pass


def test_a_call_in_a_rolled_back_transaction_is_still_recorded(recording, sandboxes, workspace):
    connection = ECWID.make_connection(workspace)
    with pytest.raises(Undo), transaction.atomic():
        EcwidClient(connection).check()
        raise Undo
    # Flushed after the rollback: a row written in the caller's transaction would be gone.
    assert recorder.recorder_flush()

    assert list(ApiCall.objects.order_by("at").values_list("endpoint", "status")) == [
        ("/profile", 200),
        ("/customers", 200),
    ]


def test_recording_off_stores_nothing(recording, sandboxes, workspace, settings):
    settings.DIAGNOSTICS_RECORD_CALLS = False
    EcwidClient(ECWID.make_connection(workspace)).check()
    assert recorder.recorder_flush()
    assert recorder.recorder_stats()["waiting"] == 0
    assert not ApiCall.objects.exists()

    settings.DIAGNOSTICS_RECORD_CALLS = True  # the same observer, switched back on
    EcwidClient(ECWID.make_connection(workspace)).check()
    assert recorder.recorder_flush()
    assert ApiCall.objects.count() == 2


def test_the_app_registers_the_recorder_unless_recording_is_off(recording, settings):
    config = apps.get_app_config("diagnostics")
    calls._observers.clear()
    settings.DIAGNOSTICS_RECORD_CALLS = False
    config.ready()
    assert calls._observers == []

    settings.DIAGNOSTICS_RECORD_CALLS = True
    config.ready()
    config.ready()  # once, however often
    assert calls._observers == [recorder.api_call_record]


def test_calls_with_no_workspace_are_not_recorded(held, workspace):
    recorder.api_call_record(_call(None))
    recorder.api_call_record(_call(workspace.pk))
    assert recorder.recorder_stats()["waiting"] == 1


# --- the buffer and the flusher -----------------------------------------------------------------
def test_the_flusher_writes_on_its_own_within_a_few_seconds(recording, workspace):
    recorder.api_call_record(_call(workspace.pk))
    deadline = time.monotonic() + 5
    while not ApiCall.objects.exists():
        assert time.monotonic() < deadline, "the flusher never wrote the call"
        time.sleep(0.05)


def test_a_full_buffer_drops_the_oldest_and_warns_once(held, workspace, monkeypatch, caplog):
    monkeypatch.setattr(recorder, "BUFFER_MAX", 3)
    with caplog.at_level(logging.WARNING, logger="diagnostics.recorder"):
        for n in range(1, 6):
            recorder.api_call_record(_call(workspace.pk, endpoint=f"/n/{n}"))

    assert recorder.recorder_stats() == {"waiting": 3, "dropped": 2}
    assert len(caplog.records) == 1 and "Dropped 1 API call" in caplog.messages[0]
    assert recorder.recorder_flush()
    assert sorted(ApiCall.objects.values_list("endpoint", flat=True)) == ["/n/3", "/n/4", "/n/5"]


def test_enough_waiting_calls_wake_the_flusher(held, workspace, monkeypatch):
    monkeypatch.setattr(recorder, "FLUSH_AT", 3)
    for _ in range(3):
        recorder.api_call_record(_call(workspace.pk))
    deadline = time.monotonic() + 5
    while ApiCall.objects.count() < 3:
        assert time.monotonic() < deadline, "three waiting calls did not wake the flusher"
        time.sleep(0.05)


def test_a_connection_or_workspace_deleted_before_the_flush_loses_no_other_call(held, workspace):
    kept = ConnectionFactory(workspace=workspace)
    deleted = ConnectionFactory(workspace=workspace)
    gone_workspace = WorkspaceFactory()
    recorder.api_call_record(_call(workspace.pk, kept.pk, endpoint="/kept"))
    recorder.api_call_record(_call(workspace.pk, deleted.pk, endpoint="/deleted-connection"))
    recorder.api_call_record(_call(gone_workspace.pk, endpoint="/deleted-workspace"))
    deleted.delete()
    gone_workspace.delete()

    assert recorder.recorder_flush()
    assert sorted(ApiCall.objects.values_list("endpoint", "connection_id")) == [
        ("/deleted-connection", None),
        ("/kept", kept.pk),
    ]
    assert recorder.recorder_stats() == {"waiting": 0, "dropped": 1}


def test_an_unreachable_database_keeps_the_calls_for_the_next_flush(
    held, workspace, monkeypatch, caplog
):
    real = recorder._bulk_create

    def database_down(batch):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(recorder, "_bulk_create", database_down)
    recorder.api_call_record(_call(workspace.pk))  # never raises into the caller
    recorder.api_call_record(_call(workspace.pk))
    with caplog.at_level(logging.WARNING, logger="diagnostics.recorder"):
        assert recorder.recorder_flush()
    assert recorder.recorder_stats() == {"waiting": 2, "dropped": 0}
    assert "will retry" in caplog.text

    monkeypatch.setattr(recorder, "_bulk_create", real)
    assert recorder.recorder_flush()
    assert ApiCall.objects.count() == 2 and recorder.recorder_stats()["waiting"] == 0


def test_calls_kept_while_the_database_is_down_stay_bounded(held, workspace, monkeypatch):
    monkeypatch.setattr(recorder, "BUFFER_MAX", 3)
    real = recorder._bulk_create

    def database_down(batch):
        # Two more calls arrive while the batch is being written; then the write fails.
        monkeypatch.setattr(recorder, "_bulk_create", real)
        recorder.api_call_record(_call(workspace.pk, endpoint="/n/3"))
        recorder.api_call_record(_call(workspace.pk, endpoint="/n/4"))
        raise OperationalError("could not connect to server")

    for n in range(3):
        recorder.api_call_record(_call(workspace.pk, endpoint=f"/n/{n}"))
    monkeypatch.setattr(recorder, "_bulk_create", database_down)
    assert recorder.recorder_flush()
    # The failed batch went back in front of the newer calls, and the oldest made way.
    assert recorder.recorder_stats() == {"waiting": 3, "dropped": 2}

    assert recorder.recorder_flush()
    assert sorted(ApiCall.objects.values_list("endpoint", flat=True)) == ["/n/2", "/n/3", "/n/4"]


def test_a_batch_the_database_refuses_is_dropped_and_counted(held, workspace, monkeypatch):
    def refuse(batch):
        raise DataError("value too long")

    monkeypatch.setattr(recorder, "_bulk_create", refuse)
    recorder.api_call_record(_call(workspace.pk))
    assert recorder.recorder_flush()
    assert recorder.recorder_stats() == {"waiting": 0, "dropped": 1}


def test_a_forked_child_starts_with_an_empty_buffer_and_its_own_thread(held, workspace):
    recorder.api_call_record(_call(workspace.pk))
    parent = recorder._recorder
    assert parent.thread is not None

    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 1
        try:
            fresh = recorder._recorder
            if fresh is not parent and fresh.thread is None and not fresh.buffer:
                code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 2
    assert recorder.recorder_stats()["waiting"] == 1  # the parent's call is still its own


def test_calls_waiting_at_interpreter_exit_are_written(recording, workspace):
    script = (
        "import django; django.setup()\n"
        "from datetime import UTC, datetime\n"
        "from diagnostics import recorder\n"
        "from integrations.calls import ApiCall\n"
        "recorder.FLUSH_SECONDS = 3600.0\n"
        f"recorder.api_call_record(ApiCall(at=datetime.now(UTC), provider='ecwid',"
        f" connection_id=None, workspace_id={workspace.pk}, method='GET',"
        " endpoint='/at-exit', status=200, latency_ms=1.0))\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DIAGNOSTICS_RECORD_CALLS": "true",
    }
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=60)
    assert list(ApiCall.objects.values_list("endpoint", flat=True)) == ["/at-exit"]
