"""Workspace isolation of every mapping URL: an owner of workspace B who puts A's mapping id
into B's own URLs (/w/<B>/mappings/<A's id>/...) gets a 404 and changes nothing.

The views' membership check passes (B is the user's workspace), so only the lookup's workspace
filter stands between B's owner and A's mapping; this file exists to catch its removal. The
URLs are walked from mappings.urls, so a new mapping page is covered without editing this."""

import pytest
from django.urls import URLPattern, reverse

from accounts.models import Role
from mappings import services
from mappings.models import Mapping, MappingSample, MappingTest
from mappings.urls import urlpatterns
from tests.factories import MembershipFactory

EMAIL_RULE = {
    "target": "email",
    "source": {"kind": "field", "value": "email"},
    "transforms": [{"name": "email", "args": {}}],
    "condition": None,
    "write_mode": "overwrite",
    "required": True,
    "default": None,
}
# Every pattern that names a mapping; the workspace-level ones (list, new) have no mapping id.
MAPPING_PATTERNS = [
    p for p in urlpatterns if isinstance(p, URLPattern) and "mapping_id" in p.pattern.converters
]


def _mapping_with_everything(workspace, user, name) -> Mapping:
    """A mapping with a rule, two versions, a sample and a test, so every URL has ids to use."""
    mapping = services.mapping_create(
        workspace=workspace,
        user=user,
        name=name,
        source_provider="ecwid",
        target_provider="highlevel",
        start="blank",
    )
    mapping = services.rule_save(mapping=mapping, user=user, rule=EMAIL_RULE)
    services.sample_create(mapping=mapping, name="Ann", record={"email": "ann@example.org"})
    services.test_create(
        mapping=mapping,
        name="Ann's e-mail",
        source_record={"email": "ann@example.org"},
        expected_payload={"email": "ann@example.org"},
    )
    mapping.refresh_from_db()
    return mapping


@pytest.fixture
def mapping_a(workspace, owner):
    return _mapping_with_everything(workspace, owner, "A's mapping")


@pytest.fixture
def owner_b(db):
    return MembershipFactory(role=Role.OWNER).user


@pytest.fixture
def mapping_b(owner_b):
    return _mapping_with_everything(owner_b.workspaces.get(), owner_b, "B's mapping")


def _kwargs(pattern: URLPattern, workspace_id: int, mapping: Mapping) -> dict:
    """Values for every part of the URL, all of them belonging to `mapping`."""
    values = {
        "workspace_id": workspace_id,
        "mapping_id": mapping.pk,
        "rule_id": mapping.rules[0]["id"],
        "number": mapping.versions.order_by("number").first().number,
        "sample_id": mapping.samples.get().pk,
        "test_id": mapping.tests.get().pk,
    }
    missing = set(pattern.pattern.converters) - set(values)
    assert not missing, f"{pattern.name}: teach this test the URL part(s) {missing}"
    return {name: values[name] for name in pattern.pattern.converters}


def _url(pattern: URLPattern, workspace_id: int, mapping: Mapping) -> str:
    return reverse(f"mappings:{pattern.name}", kwargs=_kwargs(pattern, workspace_id, mapping))


def _state(mapping: Mapping) -> tuple:
    mapping.refresh_from_db()
    return (
        mapping.workspace_id,
        mapping.name,
        mapping.version,
        mapping.rules,
        mapping.versions.count(),
        list(mapping.samples.values_list("pk", flat=True)),
        list(mapping.tests.values_list("pk", flat=True)),
    )


def test_the_walk_covers_every_mapping_page():
    names = {p.name for p in MAPPING_PATTERNS}
    assert {"mapping-detail", "mapping-export", "mapping-versions", "mapping-preview"} <= names
    assert {"sample-new", "sample-delete", "test-new", "test-delete", "mapping-delete"} <= names
    assert {"rule-edit", "rule-move", "mapping-restore", "record-condition"} <= names


def test_an_owner_of_b_cannot_reach_as_mapping_through_bs_urls(client, mapping_a, owner_b):
    before = _state(mapping_a)
    workspace_b = owner_b.workspaces.get().pk
    client.force_login(owner_b)
    for pattern in MAPPING_PATTERNS:
        url = _url(pattern, workspace_b, mapping_a)
        statuses = {
            "GET": client.get(url).status_code,
            "POST": client.post(url, {"name": "Hijacked", "record": "{}"}).status_code,
        }
        # 405 where the view takes only the other method; the one it takes must be a 404.
        assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), (url, statuses)
    assert _state(mapping_a) == before
    assert Mapping.objects.filter(workspace_id=workspace_b, name="Hijacked").count() == 0


def test_as_samples_and_tests_cannot_be_deleted_through_bs_own_mapping(
    client, mapping_a, mapping_b, owner_b
):
    client.force_login(owner_b)
    sample, test = mapping_a.samples.get(), mapping_a.tests.get()
    ids = {"workspace_id": mapping_b.workspace_id, "mapping_id": mapping_b.pk}
    for name, kwargs in (
        ("sample-delete", {"sample_id": sample.pk}),
        ("test-delete", {"test_id": test.pk}),
    ):
        url = reverse(f"mappings:{name}", kwargs={**ids, **kwargs})
        assert client.post(url).status_code == 404, url
    assert MappingSample.objects.filter(pk=sample.pk).exists()
    assert MappingTest.objects.filter(pk=test.pk).exists()


def test_the_same_urls_with_bs_own_mapping_are_found(client, mapping_b, owner_b):
    """The control: the 404s above come from the workspace filter, not from a broken URL."""
    client.force_login(owner_b)
    for pattern in MAPPING_PATTERNS:
        if pattern.name in {"mapping-delete", "mapping-restore", "rule-delete"} | {
            "sample-delete",
            "test-delete",
        }:
            continue  # these would take away what the next URL needs
        url = _url(pattern, mapping_b.workspace_id, mapping_b)
        statuses = {client.get(url).status_code, client.post(url).status_code}
        assert 404 not in statuses, (url, statuses)


def test_each_url_opens_the_mapping_it_names_not_another_of_the_workspace(
    owner_client, workspace, owner
):
    first = _mapping_with_everything(workspace, owner, "First mapping")
    second = _mapping_with_everything(workspace, owner, "Second mapping")
    for mapping, other in ((first, second), (second, first)):
        for name in ("mapping-detail", "mapping-versions"):
            url = reverse(f"mappings:{name}", args=[workspace.pk, mapping.pk])
            body = owner_client.get(url).content.decode()
            assert mapping.name in body and other.name not in body, url
