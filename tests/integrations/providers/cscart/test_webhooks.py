"""CS-Cart sends no webhooks for users: the receiver has nothing to verify, and says so."""

from django.urls import reverse

from integrations.models import WebhookEvent
from integrations.providers.registry import get_provider


def test_the_webhook_endpoint_refuses_cs_cart_and_stores_nothing(client, db):
    url = reverse("integrations:webhook-receive", args=["cscart"])
    response = client.post(url, b'{"user_id": "5"}', content_type="application/json")
    assert response.status_code == 404
    assert not WebhookEvent.objects.exists()


def test_capabilities_say_poll_with_a_full_comparison():
    capabilities = get_provider("cscart").capabilities
    assert capabilities.webhook_events == ()
    assert capabilities.incremental_filter == ""
    assert not capabilities.deleted_feed
    assert (capabilities.delete_mode, capabilities.page_style) == ("delete", "page")
    assert capabilities.has_groups and not capabilities.has_tags and not capabilities.has_notes
