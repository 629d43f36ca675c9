"""Orderspace's bodiless errors become typed errors that still say what went wrong."""

import pytest

from integrations.errors import AuthError, ValidationFailedError


def test_a_400_with_an_empty_html_body_names_the_request(client, control):
    """Orderspace answers 400 with an empty text/html body: the message names the call."""
    control.set(page_max=10, limit_over_max="bad_request")

    with pytest.raises(ValidationFailedError) as caught:
        next(client.iter_customers(page_size=50))

    assert caught.value.status == 400
    assert str(caught.value).startswith(
        "Orderspace could not read GET /customers (400 Bad Request, no details given)"
    )
    assert "<" not in str(caught.value)
    assert control.stats()["responses_by_status"]["400"] == 1  # a 4xx is not retried


def test_a_401_with_an_empty_body_takes_its_reason_from_www_authenticate(client, control):
    control.set(token_ttl_seconds=0)  # every token is expired by the time it is used

    with pytest.raises(AuthError) as caught:
        client.check()

    assert str(caught.value) == "Orderspace refused the request (401): The access token expired"
    assert control.stats()["responses_by_status"]["401"] == 2  # once more after renewing
