"""HighLevelClient.bulk_update_tags against the sandbox: POST /contacts/bulk/tags/update/{type},
chunked at BULK_TAGS_MAX contacts a call, every request checked against the Contacts spec
(the `recorder` fixture validates each exchange when the test ends)."""

import pytest

from integrations.errors import MissingScopeError
from integrations.providers.highlevel.client import BULK_TAGS_MAX, HighLevelClient
from integrations.providers.highlevel.schemas import ContactInput
from tests.contract.highlevel_exchanges import template_for
from tests.contract.openapi import specs_dir_or_skip, validate_request
from tests.integrations.providers.highlevel.conftest import no_sleep, unique_email

ROUTE = "POST /contacts/bulk/tags/update/{type}"


def _bulk_calls(control) -> int:
    return control.stats()["requests_by_route"].get(ROUTE, 0)


def _contacts(client, count: int) -> list[str]:
    return [
        client.create_contact(ContactInput(firstName="Bulk", email=unique_email("bulk"))).id
        for _ in range(count)
    ]


def test_it_adds_then_removes_the_same_tags_on_many_contacts(pit_connection, make_client):
    client = make_client(pit_connection())
    ids = _contacts(client, 3)

    added = client.bulk_update_tags(ids, ["vip", "spring-sale"])
    assert added.calls == 1 and added.error_count == 0
    for contact_id in ids:
        assert {"vip", "spring-sale"} <= set(client.get_contact(contact_id).tags)

    removed = client.bulk_update_tags(ids, ["spring-sale"], remove=True)
    assert removed.calls == 1
    for contact_id in ids:
        tags = client.get_contact(contact_id).tags
        assert "vip" in tags and "spring-sale" not in tags


def test_it_sends_at_most_the_chunk_size_per_call(pit_connection, make_client, control):
    client = make_client(pit_connection())
    real = _contacts(client, 2)
    # Ids HighLevel does not know fail one by one in the answer; they still fill the chunks.
    ids = real + [f"missingContact{n:06d}" for n in range(2 * BULK_TAGS_MAX + 48)]
    before = _bulk_calls(control)

    result = client.bulk_update_tags(ids + real, ["chunked"])  # repeats are sent once

    assert BULK_TAGS_MAX == 100  # undocumented: our own cap (client.py says so)
    assert result.calls == 3 == _bulk_calls(control) - before
    assert result.error_count == len(ids) - len(real)
    for contact_id in real:
        assert "chunked" in client.get_contact(contact_id).tags


def test_it_names_the_contacts_highlevel_refused(pit_connection, control):
    # Answers as the spec's example and live HighLevel (objects), not as its schema (strings):
    # not a contract exchange, so this client is not recorded.
    control.set(native_types=True)
    client = HighLevelClient(pit_connection(), sleep=no_sleep)
    [real] = _contacts(client, 1)

    result = client.bulk_update_tags([real, "missingContact000001"], ["named"])

    assert result.error_count == 1
    assert result.failed == {"missingContact000001": "contact not found"}


def test_nothing_is_sent_without_contacts_or_tags(pit_connection, make_client, control):
    client = make_client(pit_connection())
    before = _bulk_calls(control)
    assert client.bulk_update_tags([], ["x"]).calls == 0
    assert client.bulk_update_tags(["abc"], []).calls == 0
    assert _bulk_calls(control) == before


def test_a_read_only_connection_is_refused_before_sending(pit_connection, make_client, control):
    connection = pit_connection()
    connection.scopes = ["contacts.readonly"]
    before = control.stats()["requests_total"]
    with pytest.raises(MissingScopeError):
        make_client(connection).bulk_update_tags(["abc"], ["x"])
    assert control.stats()["requests_total"] == before


@pytest.mark.parametrize("version", ["2021-07-28", "v3"])
def test_the_request_matches_the_spec(version, pit_connection, make_client, recorder):
    specs_dir_or_skip()
    client = make_client(pit_connection(api_version=version))
    [contact_id] = _contacts(client, 1)
    client.bulk_update_tags([contact_id], ["contract"])
    client.bulk_update_tags([contact_id], ["contract"], remove=True)

    spec = "contacts-v3" if version == "v3" else "contacts"
    sent = [e for e in recorder.exchanges if "/bulk/" in e.path]
    assert [e.path for e in sent] == [
        "/contacts/bulk/tags/update/add",
        "/contacts/bulk/tags/update/remove",
    ]
    for exchange in sent:
        template = template_for(spec, "POST", exchange.path)
        assert template == "/contacts/bulk/tags/update/{type}"
        assert set(exchange.body) == {"contacts", "tags", "locationId"}  # UpdateTagsDTO
        validate_request(spec, "POST", template, exchange.body)
        assert exchange.status == 201
    # recorder.validate() (fixture teardown) checks the answers against UpdateTagsResponseDTO.
