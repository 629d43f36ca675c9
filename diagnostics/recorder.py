"""Stores every API call attempt the transport reports (`integrations.calls`) as an ApiCall row.

The observer runs in the caller's thread, once per attempt, often inside the caller's
`transaction.atomic()`: it only appends to an in-process buffer. A daemon thread writes the
buffer with `bulk_create` every FLUSH_SECONDS, or sooner once FLUSH_AT calls wait. Django's
connections are per thread, so the flusher's writes never join (or roll back with) the
caller's transaction, and a slow or failing database never reaches the request path:

- The buffer holds BUFFER_MAX calls at most; past that the oldest are dropped and counted,
  with a warning at most once a minute.
- A database that cannot be reached (OperationalError, InterfaceError) keeps the batch for
  the next flush; any other failure drops it, counted.
- A connection (or workspace) deleted between the call and the flush would fail the batch
  on its foreign key: the batch is written again without the connection (without the calls
  of a deleted workspace).

Each process has its own buffer and thread: a forked child (Celery prefork) starts afresh,
and what is waiting is written at interpreter exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from dataclasses import replace

from django.conf import settings
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)

from accounts.models import Workspace
from diagnostics.models import ApiCall
from integrations import calls
from integrations.models import Connection

logger = logging.getLogger(__name__)

BUFFER_MAX = 50_000
FLUSH_AT = 500  # calls waiting that wake the flusher before its next tick; rows per INSERT
FLUSH_SECONDS = 1.0
WARN_SECONDS = 60.0  # at most one warning (calls dropped, database down) this often
STOP_SECONDS = 5.0  # how long interpreter exit waits for the last flush


def recording_on() -> bool:
    return getattr(settings, "DIAGNOSTICS_RECORD_CALLS", True)


class _Recorder:
    """One process's buffer and flusher thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.buffer: deque[calls.ApiCall] = deque()
        self.wake = threading.Event()
        self.waiters: list[threading.Event] = []  # recorder_flush() callers
        self.thread: threading.Thread | None = None
        self.stopping = False
        self.dropped = 0
        self.warned_at = -WARN_SECONDS

    # --- the caller's side ------------------------------------------------------------------
    def add(self, call: calls.ApiCall) -> None:
        with self.lock:
            if self.stopping:
                return
            dropped = 0
            while len(self.buffer) >= BUFFER_MAX:
                self.buffer.popleft()
                dropped += 1
            self.buffer.append(call)
            waiting = len(self.buffer)
            if self.thread is None:
                self._start()
        if dropped:
            self._note_dropped(dropped, "the buffer was full")
        if waiting >= FLUSH_AT:
            self.wake.set()

    def _start(self) -> None:  # with self.lock held
        self.thread = threading.Thread(
            target=self._run, name="diagnostics-api-call-recorder", daemon=True
        )
        self.thread.start()

    def flush(self, timeout: float) -> bool:
        """Have the flusher write everything waiting now; True once it has (or tried to)."""
        done = threading.Event()
        with self.lock:
            if self.stopping:  # the thread wrote what was waiting when it stopped
                return not self.buffer
            if self.thread is None:
                if not self.buffer:
                    return True
                self._start()
            self.waiters.append(done)
        self.wake.set()
        return done.wait(timeout)

    def stop(self, timeout: float) -> None:
        with self.lock:
            self.stopping = True
            thread = self.thread
        self.wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _note_dropped(self, count: int, why: str) -> None:
        with self.lock:
            self.dropped += count
            total = self.dropped
            now = time.monotonic()
            if now - self.warned_at < WARN_SECONDS:
                return
            self.warned_at = now
        logger.warning(
            "Dropped %d API call record(s) (%s); %d in all since this process started.",
            count,
            why,
            total,
        )

    # --- the flusher thread -----------------------------------------------------------------
    def _run(self) -> None:
        try:
            while True:
                self.wake.wait(FLUSH_SECONDS)
                self.wake.clear()
                with self.lock:
                    waiters, self.waiters = self.waiters, []
                    stopping = self.stopping
                try:
                    self._flush_waiting()
                except Exception:  # a bug here must not end the thread: calls would pile up
                    logger.exception("The API call recorder failed to flush.")
                finally:
                    for waiter in waiters:
                        waiter.set()
                if stopping:
                    return
        finally:
            connections.close_all()  # this thread's own

    def _flush_waiting(self) -> None:
        if not self.buffer:
            # Idle: give the connection back rather than hold it between bursts of calls.
            connections.close_all()
            return
        close_old_connections()
        try:
            while True:
                with self.lock:
                    batch = [self.buffer.popleft() for _ in range(min(FLUSH_AT, len(self.buffer)))]
                if not batch:
                    return
                if not self._write(batch):
                    return
        finally:
            close_old_connections()

    def _write(self, batch: list[calls.ApiCall]) -> bool:
        """Write one batch; False when the database is unreachable (the batch is kept)."""
        try:
            try:
                _bulk_create(batch)
            except IntegrityError:
                batch = _without_deleted(batch, self)
                _bulk_create(batch)
        except (OperationalError, InterfaceError) as error:
            with self.lock:
                self.buffer.extendleft(reversed(batch))
                overflow = len(self.buffer) - BUFFER_MAX
                for _ in range(max(overflow, 0)):
                    self.buffer.popleft()
            if overflow > 0:
                self._note_dropped(overflow, "the database could not be reached")
            self._warn_once(f"Could not record API calls; will retry: {error}")
            _close_quietly()
            return False
        except Exception as error:
            self._note_dropped(len(batch), f"they could not be written: {error}")
            _close_quietly()
        return True

    def _warn_once(self, message: str) -> None:
        with self.lock:
            now = time.monotonic()
            if now - self.warned_at < WARN_SECONDS:
                return
            self.warned_at = now
        logger.warning(message)


def _bulk_create(batch: list[calls.ApiCall]) -> None:
    ApiCall.objects.bulk_create(
        [
            ApiCall(
                at=call.at,
                workspace_id=call.workspace_id,
                connection_id=call.connection_id,
                provider=call.provider[:20],
                method=call.method[:10],
                endpoint=call.endpoint[:200],
                status=call.status,
                error_kind=call.error_kind[:20],
                latency_ms=call.latency_ms,
                attempt=min(call.attempt, 32_767),
                request_id=call.request_id[:100],
                rate_limit=call.rate_limit,
                request_body=call.request_body,
                response_body=call.response_body,
            )
            for call in batch
        ]
    )


def _without_deleted(batch: list[calls.ApiCall], recorder: _Recorder) -> list[calls.ApiCall]:
    """The batch without the calls of workspaces deleted since, and with no connection where
    the connection was deleted since (as the foreign key's SET_NULL would have done)."""
    workspace_ids = {call.workspace_id for call in batch}
    connection_ids = {call.connection_id for call in batch} - {None}
    workspaces = set(Workspace.objects.filter(pk__in=workspace_ids).values_list("pk", flat=True))
    alive = set(Connection.objects.filter(pk__in=connection_ids).values_list("pk", flat=True))
    kept = [
        call if call.connection_id in alive else replace(call, connection_id=None)
        for call in batch
        if call.workspace_id in workspaces
    ]
    if len(kept) < len(batch):
        recorder._note_dropped(len(batch) - len(kept), "their workspace was deleted")
    return kept


def _close_quietly() -> None:
    try:
        connections.close_all()
    except Exception:
        logger.debug("Could not close the recorder's database connection.", exc_info=True)


_recorder = _Recorder()


def api_call_record(call: calls.ApiCall) -> None:
    """The observer (`integrations.calls`): buffer one attempt for the flusher to store."""
    if call.workspace_id is None or not recording_on():
        return
    _recorder.add(call)


def recorder_flush(timeout: float = 30.0) -> bool:
    """Write everything buffered now, and wait until it is written (tests, shutdown). The
    flusher thread writes it, so it never joins the calling thread's transaction: calling
    this inside an atomic block on SQLite would wait for that block's lock."""
    return _recorder.flush(timeout)


def recorder_stop(timeout: float = STOP_SECONDS) -> None:
    """Write what is waiting and end the flusher thread; calls observed afterwards are not
    recorded until `recorder_reset()`."""
    _recorder.stop(timeout)


def recorder_reset() -> None:
    """Start afresh: an empty buffer, no thread (after a fork; tests, after recorder_stop)."""
    global _recorder
    _recorder = _Recorder()


def recorder_stats() -> dict:
    with _recorder.lock:
        return {"waiting": len(_recorder.buffer), "dropped": _recorder.dropped}


# A forked child (Celery prefork) inherits the parent's buffer, whose calls the parent
# writes itself, and a lock that another thread may have held: but not the thread.
os.register_at_fork(after_in_child=recorder_reset)
atexit.register(lambda: _recorder.stop(STOP_SECONDS))
