"""The HighLevel webhook receiver: verify on raw bytes, refuse and count, store once."""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from django.urls import reverse

from integrations.models import WebhookEvent, WebhookRejection
from integrations.tasks import webhook_event_process
from tests.factories import ConnectionFactory

URL = reverse("integrations:webhook-receive", args=["highlevel"])
ED_KEY = ed25519.Ed25519PrivateKey.generate()
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ed_public(key=ED_KEY) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _rsa_public() -> str:
    return (
        RSA_KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def highlevel(db):
    return ConnectionFactory(
        provider="highlevel",
        settings={
            "location_id": "loc123",
            "webhook_public_key": _ed_public(),
            "webhook_rsa_public_key": _rsa_public(),
        },
        credentials={"private_integration_token": "pit-abc"},
    )


def _event(**overrides) -> bytes:
    payload = {
        "type": "ContactCreate",
        "locationId": "loc123",
        "id": "c0ntact1d",
        "email": "pat@example.com",
        "webhookId": str(uuid.uuid4()),
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        **overrides,
    }
    # Deliberately unusual spacing: verification must use these bytes, not re-encoded JSON.
    return json.dumps(payload, indent=1).encode()


def _post(client, body: bytes, *, ed=True, rsa_sig=True, ed_key=ED_KEY):
    headers = {}
    if ed:
        headers["HTTP_X_GHL_SIGNATURE"] = base64.b64encode(ed_key.sign(body)).decode()
    if rsa_sig:
        signature = RSA_KEY.sign(body, padding.PKCS1v15(), hashes.SHA256())
        headers["HTTP_X_WH_SIGNATURE"] = base64.b64encode(signature).decode()
    return client.post(URL, body, content_type="application/json", **headers)


def _rejections(reason):
    row = WebhookRejection.objects.filter(provider="highlevel", reason=reason).first()
    return row.count if row else 0


def test_a_signed_event_is_stored_and_processing_enqueued_on_commit(
    client, highlevel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(client, _event())
    assert response.status_code == 200 and response.json() == {"status": "received"}
    event = WebhookEvent.objects.get()
    assert event.connection == highlevel and event.event_type == "ContactCreate"
    assert len(callbacks) == 1  # webhook_event_process.delay_on_commit


def test_rsa_alone_is_accepted_as_the_legacy_fallback(client, highlevel):
    assert _post(client, _event(), ed=False).status_code == 200


def _post_raw(client, body: bytes, **headers):
    return client.post(URL, body, content_type="application/json", **headers)


def _rsa_signature(body: bytes, key=RSA_KEY) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


@pytest.mark.parametrize(
    "signature",
    [
        "garbage",
        "!!!not base64!!!",
        base64.b64encode(b"\x00" * 256).decode(),  # right length, wrong bytes
        _rsa_signature(b"a different body"),  # a real signature, over other bytes
    ],
    ids=["word", "not-base64", "zeros", "other-body"],
)
def test_a_bad_rsa_signature_alone_is_refused(client, highlevel, signature):
    response = _post_raw(client, _event(), HTTP_X_WH_SIGNATURE=signature)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
    assert _rejections("bad_signature") == 1


def test_an_rsa_signature_by_another_key_is_refused(client, highlevel):
    body = _event()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = _post_raw(client, body, HTTP_X_WH_SIGNATURE=_rsa_signature(body, key=other))
    assert response.status_code == 401 and not WebhookEvent.objects.exists()


def test_a_good_rsa_signature_alone_is_accepted(client, highlevel):
    body = _event()
    response = _post_raw(client, body, HTTP_X_WH_SIGNATURE=_rsa_signature(body))
    assert response.status_code == 200 and WebhookEvent.objects.count() == 1


def test_a_failing_ed25519_header_falls_back_to_a_valid_rsa_one(client, highlevel):
    other = ed25519.Ed25519PrivateKey.generate()  # e.g. HighLevel rotated its Ed25519 key
    response = _post(client, _event(), ed_key=other)
    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1 and _rejections("bad_signature") == 0
    # Garbage in the Ed25519 header does not stop the fallback either.
    body = _event()
    response = _post_raw(
        client, body, HTTP_X_GHL_SIGNATURE="abc", HTTP_X_WH_SIGNATURE=_rsa_signature(body)
    )
    assert response.status_code == 200 and WebhookEvent.objects.count() == 2


def test_both_headers_failing_is_refused(client, highlevel):
    body = _event()
    other_ed = ed25519.Ed25519PrivateKey.generate()
    other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = _post_raw(
        client,
        body,
        HTTP_X_GHL_SIGNATURE=base64.b64encode(other_ed.sign(body)).decode(),
        HTTP_X_WH_SIGNATURE=_rsa_signature(body, key=other_rsa),
    )
    assert response.status_code == 401 and not WebhookEvent.objects.exists()
    assert _rejections("bad_signature") == 1


def test_an_rsa_signature_is_not_checked_against_ed25519_keys(client, highlevel):
    # Only an Ed25519 key is known for this location: a legacy header has nothing to verify with.
    highlevel.settings.pop("webhook_rsa_public_key")
    highlevel.save()
    body = _event()
    response = _post_raw(client, body, HTTP_X_WH_SIGNATURE=_rsa_signature(body))
    assert response.status_code == 401


def test_a_changed_body_is_refused(client, highlevel):
    body = _event()
    signature = base64.b64encode(ED_KEY.sign(body)).decode()
    tampered = body.replace(b"pat@example.com", b"eve@example.com")
    response = client.post(
        URL, tampered, content_type="application/json", HTTP_X_GHL_SIGNATURE=signature
    )
    assert response.status_code == 401 and not WebhookEvent.objects.exists()


def test_unsigned_events_are_refused(client, highlevel):
    assert _post(client, _event(), ed=False, rsa_sig=False).status_code == 401
    assert _rejections("bad_signature") == 1


def test_stale_and_future_events_are_refused(client, highlevel):
    old = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    future = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    assert _post(client, _event(timestamp=old)).status_code == 401
    assert _post(client, _event(timestamp=future)).status_code == 401
    assert _post(client, _event(timestamp=None)).status_code == 401
    assert _rejections("stale") == 3
    assert not WebhookEvent.objects.exists()


def test_a_replayed_webhook_id_is_stored_once(client, highlevel):
    body = _event()
    assert _post(client, body).json() == {"status": "received"}
    assert _post(client, body).json() == {"status": "duplicate"}
    assert WebhookEvent.objects.count() == 1


def test_malformed_bodies_are_400_counted_not_stored(client, highlevel):
    assert client.post(URL, b"not json", content_type="application/json").status_code == 400
    assert _post(client, json.dumps({"type": "ContactCreate"}).encode()).status_code == 400
    assert _rejections("malformed") == 2


def test_events_for_an_unknown_location_need_highlevels_own_key(client, highlevel, settings):
    body = _event(locationId="someone-else")
    assert _post(client, body).status_code == 401
    settings.HIGHLEVEL_WEBHOOK_PUBLIC_KEYS = [_ed_public()]
    assert _post(client, body).status_code == 200
    assert WebhookEvent.objects.get().connection is None


def test_get_and_unknown_providers(client, db):
    assert client.get(URL).status_code == 405
    assert (
        client.post("/webhooks/myspace/", b"{}", content_type="application/json").status_code == 404
    )


def test_processing_marks_events_and_is_idempotent(client, highlevel, settings):
    _post(client, _event())
    settings.HIGHLEVEL_WEBHOOK_PUBLIC_KEYS = [_ed_public()]
    _post(client, _event(locationId="elsewhere"))
    for event in WebhookEvent.objects.all():
        webhook_event_process(event.pk)
        webhook_event_process(event.pk)  # a duplicate delivery of the task changes nothing
    statuses = dict(WebhookEvent.objects.values_list("payload__locationId", "status"))
    # Neither has a flow reading it: handed over, nothing took the change (tests/sync covers
    # the flows); "elsewhere" has no connection at all.
    assert statuses == {"loc123": "ignored", "elsewhere": "ignored"}
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {1}


def test_an_ed25519_signature_alone_is_checked_with_the_connections_key(client, highlevel):
    # No RSA header to fall back on: the location's own Ed25519 key must be the one used.
    assert _post(client, _event(), rsa_sig=False).status_code == 200


def test_a_timestamp_with_an_offset_is_compared_as_that_moment(client, highlevel):
    paris_now = datetime.now(UTC).astimezone(timezone(timedelta(hours=2)))
    assert _post(client, _event(timestamp=paris_now.isoformat())).status_code == 200
    naive_utc_now = datetime.now(UTC).replace(tzinfo=None).isoformat()  # read as UTC
    assert _post(client, _event(timestamp=naive_utc_now)).status_code == 200
    two_hours_off = (datetime.now(UTC) + timedelta(hours=2)).replace(tzinfo=None).isoformat()
    assert _post(client, _event(timestamp=two_hours_off)).status_code == 401
