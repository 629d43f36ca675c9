from django.urls import reverse

from tests.factories import ConnectionFactory, UserFactory


def test_admin_never_shows_or_edits_credentials(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    connection = ConnectionFactory(credentials={"secret_token": "secret_admin_must_not_see"})
    for url in (
        reverse("admin:integrations_connection_changelist"),
        reverse("admin:integrations_connection_change", args=[connection.pk]),
    ):
        body = client.get(url).content.decode()
        assert "secret_admin_must_not_see" not in body
        assert connection.credentials_encrypted not in body
    change = client.get(reverse("admin:integrations_connection_change", args=[connection.pk]))
    assert "Credentials stored" in change.content.decode()


def test_every_model_is_in_the_admin(client, db):
    from django.apps import apps
    from django.contrib import admin

    ours = [
        m
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "integrations", "alerts", "diagnostics", "mappings"}
    ]
    assert ours
    for model in ours:
        assert admin.site.is_registered(model), model


def test_admin_pages_load_for_staff(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for name in [
        "accounts_user",
        "accounts_workspace",
        "accounts_membership",
        "diagnostics_workerheartbeat",
        "alerts_alert",
        "integrations_webhookevent",
        "integrations_webhookeventtarget",
    ]:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_a_webhook_event_shows_its_processing_rows(client, db):
    from integrations.inbox import webhook_event_store

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    connection = ConnectionFactory(name="Shop A")
    event, _ = webhook_event_store(
        provider="ecwid",
        event_id="e1",
        event_type="customer.updated",
        payload={},
        connections=[connection],
    )
    page = client.get(reverse("admin:integrations_webhookevent_change", args=[event.pk]))
    assert page.status_code == 200 and "Shop A" in page.content.decode()
