import contextlib
import os

import pytest


def skip_unless(condition: bool, reason: str) -> None:
    """Skip on a developer's machine that lacks something; fail in CI, which must not skip."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


def worker_database_url() -> str:
    """The test database as a DATABASE_URL, for a worker process started by a test."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or ""
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host, port = db["HOST"] or "localhost", db["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@contextlib.contextmanager
def sandbox_described(app, settings):
    """An in-process sandbox as "Use sandbox" sees it (SANDBOX_URL pointed at it): its
    described values for the test, its state reset afterwards for the next one."""
    import requests

    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_URL = app.base_url.rsplit("/", 1)[0]
    yield app.describe()
    requests.post(app.base_url + "/_control/reset", timeout=10).raise_for_status()
