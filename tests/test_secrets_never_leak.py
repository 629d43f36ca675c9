"""A full request cycle with real credentials: none may appear in a page or a log line."""

import logging

from django.urls import reverse

from integrations import http
from integrations.models import Connection
from tests.factories import UserFactory

SECRETS = {
    "credential_private_key": "pk-live-5f1e2d3c4b5a69788796",
    "credential_token": "tok-live-a1b2c3d4e5f6a7b8c9d0",
}


def test_no_credential_value_in_any_page_or_log_line(client, owner, workspace, caplog, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    client.force_login(owner)
    pages = []
    with caplog.at_level(logging.DEBUG):
        new_url = (
            reverse("integrations:connection-new", args=[workspace.pk]) + "?provider=shift4shop"
        )
        pages.append(client.get(new_url))
        # A failing submit re-renders the form: the typed secrets must not be echoed back.
        pages.append(client.post(new_url, {"name": "", **SECRETS}))
        response = client.post(
            new_url, {"name": "Shop", "setting_secure_url": "https://shop.example.com", **SECRETS}
        )
        connection = Connection.objects.get(name="Shop")
        assert connection.get_credentials()["token"] == SECRETS["credential_token"]
        args = [workspace.pk, connection.pk]
        for name in ["connection-detail", "connection-edit", "connection-delete"]:
            pages.append(client.get(reverse(f"integrations:{name}", args=args)))
        pages.append(client.post(reverse("integrations:connection-edit", args=args), {"name": ""}))
        for url in [
            reverse("integrations:connection-list", args=[workspace.pk]),
            reverse("sync:flow-list", args=[workspace.pk]),
            reverse("mappings:mapping-list", args=[workspace.pk]),
            reverse("diagnostics:dashboard", args=[workspace.pk]),
        ]:
            pages.append(client.get(url))
        # An outbound call that carries the credentials in headers and query string.
        credentials = connection.get_credentials()
        try:
            http.build_session({"PrivateKey": credentials["private_key"]}).get(
                f"http://127.0.0.1:9/?token={credentials['token']}"
            )
        except Exception as exc:  # the port is closed; the error text is checked below
            logging.getLogger("test").warning("call failed: %s", exc)
        # And the admin.
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        pages.append(
            client.get(reverse("admin:integrations_connection_change", args=[connection.pk]))
        )
        pages.append(client.get(reverse("admin:integrations_connection_changelist")))

    assert response.status_code == 302
    logs = "\n".join(record.getMessage() for record in caplog.records)
    assert "127.0.0.1:9" in logs  # the outbound failure was logged…
    for secret in SECRETS.values():
        for page in pages:
            assert secret not in page.content.decode(), page.request["PATH_INFO"]
        assert secret not in logs  # …but without a secret in it
