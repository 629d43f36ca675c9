"""The registry: one typed `Provider` per system, each with every part the app relies on."""

import pytest
from django.urls import reverse

from integrations.providers import registry
from integrations.providers.base import (
    ObjectType,
    Provider,
    RecordAdapter,
    SandboxEntry,
    UnknownObjectType,
    UnknownProvider,
)
from integrations.providers.capabilities import (
    Capabilities,
    ChangeDetection,
    DeleteMode,
    PageStyle,
    RateLimit,
)
from integrations.providers.keys import PROVIDER_KEYS, PROVIDER_NAMES
from tests.factories import ConnectionFactory


def test_the_registry_and_the_model_choices_list_the_same_providers():
    assert [p.key for p in registry.all_providers()] == PROVIDER_KEYS
    assert dict(registry.provider_choices()) == PROVIDER_NAMES


@pytest.mark.parametrize("provider", registry.all_providers(), ids=lambda p: p.key)
def test_every_provider_declares_its_parts_typed(provider: Provider):
    caps = provider.capabilities
    assert isinstance(caps.change_detection, ChangeDetection)
    assert isinstance(caps.delete_mode, DeleteMode)
    assert isinstance(caps.page_style, PageStyle)
    assert caps.max_page_size > 0
    assert caps.rate_limit is None or isinstance(caps.rate_limit, RateLimit)
    assert set(caps.inferred) <= set(Capabilities.__dataclass_fields__)
    assert callable(provider.client) and callable(provider.field_catalogue)
    assert provider.field_catalogue(None)
    assert provider.explorer_operations
    assert (provider.verify_webhook is not None) == caps.sends_webhooks
    assert ObjectType.CONTACT in provider.adapters
    for adapter in provider.adapters.values():
        assert issubclass(adapter, RecordAdapter)
    if caps.change_detection is ChangeDetection.UPDATED_SINCE:
        assert caps.incremental_filter


def test_unknown_providers_and_object_types_say_what_exists(workspace):
    with pytest.raises(UnknownProvider, match="nowhere"):
        registry.get_provider("nowhere")
    connection = ConnectionFactory(workspace=workspace, provider="ecwid")
    with pytest.raises(UnknownObjectType, match="contact"):
        registry.adapter_for(connection, ObjectType.TASK)


def test_sandboxes_register_themselves_only_when_enabled(settings):
    entry = registry.sandbox_for("ecwid")
    assert isinstance(entry, SandboxEntry)  # the test settings enable them
    assert entry.app_class.__module__.startswith("sandboxes.")
    with pytest.raises(UnknownProvider):
        registry.register_sandbox("nowhere", entry)


def test_capabilities_in_words_label_what_no_source_documents():
    facts = {f.label: f for f in registry.get_provider("shift4shop").capabilities.facts()}
    assert facts["Rate limit"].inferred
    assert not facts["Deleting"].inferred
    assert "2 requests / second" in facts["Rate limit"].value
    highlevel = {f.label: f for f in registry.get_provider("highlevel").capabilities.facts()}
    assert "100 requests / 10 s" in highlevel["Rate limit"].value
    assert "200,000 a day" in highlevel["Rate limit"].value
    assert not any(f.inferred for f in highlevel.values())


def test_the_connection_page_labels_inferred_capabilities(owner_client, workspace):
    connection = ConnectionFactory(workspace=workspace, provider="shift4shop")
    url = reverse("integrations:connection-detail", args=[workspace.pk, connection.pk])
    body = owner_client.get(url).content.decode()
    assert ">inferred</span>" in body
    assert "2 requests / second per store" in body


def test_assumptions_no_source_documents_are_always_labelled_inferred():
    facts = {f.label: f for f in registry.get_provider("orderspace").capabilities.facts()}
    sign_in = facts["Public-integration sign-in"]
    assert sign_in.inferred and "oauth/authorize" in sign_in.value
