"""The Cin7 webhook receiver: authenticate by the configured credential, store once, and the
whole path from a change in the sandbox to a row in the inbox."""

import base64
import json
import time
import uuid

import pytest
from django.urls import reverse

from integrations.models import WebhookEvent, WebhookRejection
from integrations.providers.cin7.webhooks import registration
from tests.factories import ConnectionFactory

URL = reverse("integrations:webhook-receive", args=["cin7"])
SECRET = "s3cret-for-webhooks"


def _connection(secret=SECRET, **settings):
    return ConnectionFactory(
        provider="cin7",
        settings=settings,
        credentials={"account_id": "acc", "application_key": "key", "webhook_secret": secret},
    )


def _body(*customers) -> bytes:
    customers = customers or (
        {"ID": str(uuid.uuid4()), "Name": "Pat Co", "LastModifiedOn": "2026-01-01T00:00:00.000Z"},
    )
    return json.dumps({"CustomerDetailsList": list(customers)}).encode()


def _post(client, body: bytes, **headers):
    return client.post(URL, body, content_type="application/json", headers=headers)


def _rejections(reason: str) -> int:
    row = WebhookRejection.objects.filter(provider="cin7", reason=reason).first()
    return row.count if row else 0


def test_a_delivery_with_the_bearer_token_is_stored_once(client, db):
    connection = _connection()
    body = _body()
    first = _post(client, body, Authorization=f"Bearer {SECRET}")
    assert first.status_code == 200 and first.json() == {"status": "received"}
    again = _post(client, body, Authorization=f"Bearer {SECRET}")
    assert again.json() == {"status": "duplicate"}
    event = WebhookEvent.objects.get()
    assert event.connection == connection and event.event_type == "Customer/Updated"
    assert event.payload == json.loads(body)


def test_a_later_change_of_the_same_customer_is_a_new_event(client, db):
    _connection()
    customer = {"ID": "c1", "LastModifiedOn": "2026-01-01T00:00:00.000Z"}
    _post(client, _body(customer), Authorization=f"Bearer {SECRET}")
    later = {**customer, "LastModifiedOn": "2026-01-01T00:00:01.000Z"}
    _post(client, _body(later), Authorization=f"Bearer {SECRET}")
    assert WebhookEvent.objects.count() == 2


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {SECRET}"}],
)
def test_wrong_or_missing_credentials_are_refused_and_counted(client, db, headers):
    _connection()
    response = _post(client, _body(), **headers)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
    assert _rejections("bad_signature") == 1


def test_basic_auth_checks_username_and_password(client, db):
    _connection(webhook_auth="basic", webhook_username="cin7user")
    good = base64.b64encode(f"cin7user:{SECRET}".encode()).decode()
    wrong_user = base64.b64encode(f"someone:{SECRET}".encode()).decode()
    assert _post(client, _body(), Authorization=f"Basic {wrong_user}").status_code == 401
    assert _post(client, _body(), Authorization="Basic !!notbase64").status_code == 401
    assert _post(client, _body(), Authorization=f"Basic {good}").status_code == 200


def test_a_custom_header_is_only_accepted_where_it_was_configured(client, db):
    _connection(webhook_auth="header", webhook_header="verification-token")
    assert _post(client, _body(), Authorization=f"Bearer {SECRET}").status_code == 401
    response = _post(client, _body(), **{"verification-token": SECRET})
    assert response.status_code == 200


def test_the_event_goes_to_the_connection_whose_secret_was_sent(client, db):
    _connection(secret="first-secret")
    second = _connection(secret="second-secret")
    _post(client, _body(), Authorization="Bearer second-secret")
    assert WebhookEvent.objects.get().connection == second


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"CustomerDetailsList": []}', b'{"SaleList": [{"ID": "x"}]}'],
)
def test_authenticated_but_malformed_bodies_are_refused(client, db, body):
    _connection()
    assert _post(client, body, Authorization=f"Bearer {SECRET}").status_code == 400
    assert _rejections("malformed") == 1 and not WebhookEvent.objects.exists()


def test_registration_matches_what_verify_checks(db):
    bearer = registration(_connection(), "https://app.example/webhooks/cin7/")
    assert bearer.payload()["ExternalAuthorizationType"] == "bearerauth"
    assert bearer.payload()["ExternalBearerToken"] == SECRET
    basic = registration(_connection(webhook_auth="basic"), "https://x/").payload()
    assert (basic["ExternalUserName"], basic["ExternalPassword"]) == ("contactbridge", SECRET)
    header = registration(_connection(webhook_auth="header"), "https://x/").payload()
    assert header["ExternalHeaders"] == [{"Key": "X-ContactBridge-Token", "Value": SECRET}]
    assert header["Type"] == "Customer/Updated"


# --- end to end: sandbox -> running app -> inbox ---------------------------------------------


def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("mode", ["bearer", "basic", "header"])
def test_changes_in_the_sandbox_reach_the_inbox(
    live_server, transactional_db, described, make_client, control, mode
):
    from sandboxes.cin7 import connection_values

    credentials, settings = connection_values(described)
    connection = ConnectionFactory(
        provider="cin7",
        settings={**settings, "webhook_auth": mode},
        credentials={**credentials, "webhook_secret": f"{mode}-{uuid.uuid4().hex}"},
    )
    client = make_client(connection)
    hook = client.create_webhook(registration(connection, f"{live_server.url}{URL}"))
    try:
        customer_id = client.iter_customers(page_size=1).__next__().ID
        control.ui("PUT", customer_id, json={"Comments": f"seen by {mode}"})
        assert _wait(lambda: WebhookEvent.objects.filter(provider="cin7").exists())
        event = WebhookEvent.objects.get(provider="cin7")
        assert event.connection == connection
        [changed] = event.payload["CustomerDetailsList"]
        assert changed["ID"] == customer_id and changed["Comments"] == f"seen by {mode}"
    finally:
        client.delete_webhook(hook.ID)


def test_a_registration_with_the_wrong_secret_is_refused_and_nothing_stored(
    live_server, transactional_db, described, make_client, control
):
    from integrations.providers.cin7.schemas import WebhookInput
    from sandboxes.cin7 import connection_values

    credentials, settings = connection_values(described)
    connection = ConnectionFactory(
        provider="cin7", settings=settings, credentials={**credentials, "webhook_secret": "real"}
    )
    control.set(webhook_batch_ms=0, webhook_max_attempts=1)
    client = make_client(connection)
    hook = client.create_webhook(
        WebhookInput(
            ExternalURL=f"{live_server.url}{URL}",
            ExternalAuthorizationType="bearerauth",
            ExternalBearerToken="forged",
        )
    )
    try:
        customer_id = next(client.iter_customers(page_size=1)).ID
        control.ui("PUT", customer_id, json={"Comments": "forged delivery"})
        assert _wait(lambda: control.deliveries(status="failed"))
        [failed] = control.deliveries(status="failed")
        assert failed["attempts"][0]["status"] == 401
        assert not WebhookEvent.objects.exists()
        assert _rejections("bad_signature") == 1
    finally:
        client.delete_webhook(hook.ID)
