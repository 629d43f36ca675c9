"""The database gone for a moment — a restart, a failover, a network blip — while a worker
runs a flow. Its connection breaks and every query raises; once the server answers again a
new connection works. A run waits for that instead of failing: everything it committed
(items, links, the cursor of each finished batch) is there, and the batch in hand is read
again from the cursor (its writes are found, never doubled)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

# What the database raises when it is unreachable or the connection died, as opposed to a
# bad query (ProgrammingError, IntegrityError...).
DATABASE_DOWN = (OperationalError, InterfaceError)
# How long a run waits for the database before it gives up (its task fails; the stale-run
# beat requeues it later). Shorter than STALE_AFTER, so a run that waited is never also
# requeued by the beat and run twice.
DATABASE_WAIT_SECONDS = 4 * 60


def database_back(*, within: float = DATABASE_WAIT_SECONDS, sleep=time.sleep) -> bool:
    """Wait until the database answers on a fresh connection; False if it did not within
    `within` seconds."""
    deadline = time.monotonic() + within
    delay = 0.5
    while True:
        with contextlib.suppress(*DATABASE_DOWN):
            connection.close()  # the broken one: Django opens a new one on the next query
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except DATABASE_DOWN:
            if time.monotonic() + delay > deadline:
                return False
            sleep(delay)
            delay = min(delay * 2, 10)


def through_outages(work: Callable[[], None], *, on_resume: Callable[[float], None]) -> None:
    """Run `work`; if the database goes away, wait for it and run `work` again (it must go on
    from committed state, as a run does from its cursor); `on_resume(seconds waited)` then.
    Raises the database's error when it does not come back in time."""
    while True:
        try:
            return work()
        except DATABASE_DOWN as error:
            if connection.in_atomic_block:
                raise  # inside someone's transaction: theirs to handle
            logger.warning("The database went away (%s): waiting for it", type(error).__name__)
            started = time.monotonic()
            if not database_back():
                raise
            on_resume(time.monotonic() - started)
