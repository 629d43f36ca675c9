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
