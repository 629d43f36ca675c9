"""The edges of Orderspace webhook verification: strict Base64 in the signature header and
the 50-event limit of one delivery."""

import json

import pytest

from integrations.providers.base import WebhookRejected
from integrations.providers.orderspace.webhooks import HEADER, MAX_EVENTS, sign, verify
from tests.integrations.providers.orderspace.test_webhooks import KEY, orderspace_connection


def _events(count: int) -> bytes:
    event = {"event": "customer.updated", "data": {"customer": {"id": "cu_1"}}}
    return json.dumps([event] * count).encode()


@pytest.mark.django_db
def test_exactly_the_most_events_one_delivery_may_hold_are_accepted():
    connection = orderspace_connection()
    body = _events(MAX_EVENTS)
    verified = verify(body, {HEADER: sign(KEY, body)})
    assert verified.connections == [connection] and len(verified.payload["events"]) == MAX_EVENTS
    over = _events(MAX_EVENTS + 1)
    with pytest.raises(WebhookRejected) as rejected:
        verify(over, {HEADER: sign(KEY, over)})
    assert rejected.value.reason == "malformed"


@pytest.mark.django_db
@pytest.mark.parametrize("noise", ["!", " x", "*=", "\u00e9"])
def test_a_good_signature_with_stray_characters_is_not_base64(noise):
    orderspace_connection()
    body = _events(1)
    signature = sign(KEY, body)
    # Lenient decoding would drop the stray characters and accept the signature.
    with pytest.raises(WebhookRejected) as rejected:
        verify(body, {HEADER: signature[:10] + noise + signature[10:]})
    assert rejected.value.reason == "bad_signature"
    assert "not Base64" in str(rejected.value)
