import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from accounts.models import Role
from tests.factories import ConnectionFactory, MembershipFactory, UserFactory, WorkspaceFactory


@pytest.fixture
def workspace(db):
    return WorkspaceFactory()


@pytest.fixture
def owner(workspace):
    return MembershipFactory(workspace=workspace, role=Role.OWNER).user


@pytest.fixture
def editor(workspace):
    return MembershipFactory(workspace=workspace, role=Role.EDITOR).user


@pytest.fixture
def viewer(workspace):
    return MembershipFactory(workspace=workspace, role=Role.VIEWER).user


@pytest.fixture
def outsider(db):
    """Someone with a workspace of their own, but no business in `workspace`."""
    return MembershipFactory(role=Role.OWNER).user


@pytest.fixture
def connection(workspace):
    return ConnectionFactory(workspace=workspace)


def _client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(client, owner):
    return _client_for(client, owner)


@pytest.fixture
def editor_client(client, editor):
    return _client_for(client, editor)


@pytest.fixture
def viewer_client(client, viewer):
    return _client_for(client, viewer)


@pytest.fixture
def outsider_client(client, outsider):
    return _client_for(client, outsider)


@pytest.fixture
def user_factory(db):
    return UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Password hashing is deliberately slow; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_budgets():
    """In the database a rate budget goes with the test's transaction; in Redis (CI's second
    pass) it would outlive the test, so one test's block would slow or fail the next."""
    from integrations.ratelimit import RedisBudget, get_budget

    budget = get_budget()
    if isinstance(budget, RedisBudget):
        budget.reset_all()
    yield


@pytest.fixture(autouse=True)
def _forget_secrets_the_test_decrypted():
    """The log filter scrubs every credential this process decrypted (redaction's
    `remember_secret`). A test that saves hostile credentials ("[" * 10000) would otherwise
    make every later test's text come out "[redacted]": the order would decide the result.
    What was remembered before the test (module fixtures' credentials) stays."""
    from integrations import redaction

    with redaction._known_lock:
        before = list(redaction._known_secrets)
    yield
    with redaction._known_lock:
        redaction._known_secrets.clear()
        redaction._known_secrets.update(dict.fromkeys(before))


# What the developer's shell had: the browser tests may change it only while they run.
_ASYNC_UNSAFE_AT_START = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")


@pytest.fixture(autouse=True)
def _async_unsafe_is_not_left_on(request):
    """Django's "async unsafe" exemption hides real bugs; a browser module grants it for its
    own tests only (tests/browser/conftest.py), so every other test must find it as it was."""
    if request.node.get_closest_marker("browser") is None:
        assert os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE") == _ASYNC_UNSAFE_AT_START, (
            "DJANGO_ALLOW_ASYNC_UNSAFE was left set by an earlier test"
        )
    yield


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _throwaway_redis_server(binary: str):
    """Start `redis-server` on a free port with no persistence; returns (process, client,
    its working directory)."""
    import redis

    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="test-redis-")
    options = {"port": str(port), "bind": "127.0.0.1", "save": "", "appendonly": "no"}
    options.update(dir=workdir, loglevel="warning")
    arguments = [part for name, value in options.items() for part in (f"--{name}", value)]
    process = subprocess.Popen(
        [binary, *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return process, client, workdir
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                shutil.rmtree(workdir, ignore_errors=True)
                raise
            time.sleep(0.02)


@pytest.fixture(scope="session")
def redis_client():
    """A Redis for the rate budget's Lua scripts, in every run (not only CI's second pass):
    the configured one when there is one (CI), else a throwaway `redis-server` on a free port
    when the binary is installed, else fakeredis, which runs the same Lua through lupa.
    TEST_REDIS=fake forces the double (to check it on a machine that has the server)."""
    from django.conf import settings

    if settings.RATE_BUDGET_REDIS_URL:
        import redis

        yield redis.Redis.from_url(settings.RATE_BUDGET_REDIS_URL)
        return
    binary = shutil.which("redis-server")
    if binary and os.environ.get("TEST_REDIS") != "fake":
        process, client, workdir = _throwaway_redis_server(binary)
        try:
            yield client
        finally:
            client.close()
            process.terminate()
            process.wait(timeout=10)
            shutil.rmtree(workdir, ignore_errors=True)
        return
    import fakeredis

    yield fakeredis.FakeRedis(server=fakeredis.FakeServer())
