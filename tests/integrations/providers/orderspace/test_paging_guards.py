"""Answers the sandbox never gives but a broken server might: paging must fail loudly rather
than loop on one page or stop early and look healthy (integration-lessons C7)."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from integrations.errors import TransientError
from integrations.providers.orderspace.client import OrderspaceClient
from tests.factories import ConnectionFactory
from tests.integrations.providers.orderspace.conftest import FAST

API = "https://api.orderspace.com/v1/customers"


@pytest.fixture
def offline_client(db):
    connection = ConnectionFactory(
        provider="orderspace",
        settings={},
        credentials={"client_id": "id", "client_secret": "secret", "access_token": "tok"},
    )
    connection.token_expires_at = timezone.now() + timedelta(minutes=20)
    connection.save()
    return OrderspaceClient(connection, limit=FAST)


def customer(customer_id: str) -> dict:
    return {"id": customer_id, "company_name": "Co"}


@responses.activate
def test_the_same_page_twice_is_an_error_not_a_loop(offline_client):
    page = {"customers": [customer("cu_a"), customer("cu_b")], "has_more": True}
    responses.get(API, json=page)

    with pytest.raises(TransientError, match="same page"):
        list(offline_client.iter_customers(page_size=2))
    assert len(responses.calls) == 2


@responses.activate
def test_has_more_with_an_empty_page_is_an_error_not_the_end(offline_client):
    responses.get(API, json={"customers": [], "has_more": True})

    with pytest.raises(TransientError, match="more customers follow"):
        list(offline_client.iter_customers())
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok"
