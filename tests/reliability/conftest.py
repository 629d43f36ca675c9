"""The reliability suite (README "Reliability"): it breaks things on purpose — kills workers,
injects faults, races, storms of webhooks, a database that goes away — and checks that
nothing was lost or doubled.

It needs what production runs on: PostgreSQL, Redis as the broker, real Celery worker
processes. CI's second pass (.ci/run) runs it; `make reliability` runs it alone on the local
PostgreSQL and Redis. `make test` (SQLite, filesystem broker) leaves it out with
`-m "not reliability"`. The slowest tests are also marked `slow`; CI runs them too."""

import pytest
from django.conf import settings as django_settings
from django.db import connection

from config.celery import app as celery_app
from tests.reliability.support import Sandboxes, Workers
from tests.support import skip_unless

HERE = "tests/reliability/"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(HERE):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(autouse=True)
def _production_services(request):
    """PostgreSQL and a Redis broker, or no reliability test."""
    if not request.node.nodeid.startswith(HERE):
        return
    skip_unless(
        connection.vendor == "postgresql",
        "the reliability suite runs on PostgreSQL (make reliability, or CI's second pass)",
    )
    skip_unless(
        django_settings.CELERY_BROKER_URL.startswith("redis://"),
        "the reliability suite runs with Redis as the broker (make reliability)",
    )


def _empty_broker() -> None:
    """Nothing an earlier test left (queued, or taken by a killed worker and never acked)
    reaches this test's workers: the broker's Redis database is the suite's own."""
    import redis

    redis.Redis.from_url(django_settings.CELERY_BROKER_URL).flushdb()


@pytest.fixture
def workers(transactional_db):
    """`workers.start(pool=..., concurrency=..., queues=...)` starts a real worker on the
    test database; every worker started is stopped when the test ends (logs printed then,
    so pytest shows them with a failure)."""
    _empty_broker()
    started = Workers()
    yield started
    print(started.close())
    celery_app.control.purge()
    _empty_broker()


@pytest.fixture
def sandboxes_factory():
    """`sandboxes_factory(customers=N, webhook_base=...)` starts Ecwid + HighLevel sandboxes."""
    made: list[Sandboxes] = []

    def make(**options) -> Sandboxes:
        sandboxes = Sandboxes(**options)
        made.append(sandboxes)
        return sandboxes

    yield make
    for sandboxes in made:
        sandboxes.close()
