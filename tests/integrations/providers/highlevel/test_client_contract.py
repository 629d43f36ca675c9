"""Every operation of the client in one sweep per API version, so the contract recorder
(conftest `recorder`) sees each of them at least once, and the OAuth token requests checked
against oauth.json."""

from urllib.parse import parse_qsl

import pytest

from integrations import http
from integrations.providers.highlevel import auth
from integrations.providers.highlevel.schemas import (
    ContactInput,
    CustomFieldInput,
    NoteInput,
    SearchFilter,
    TaskInput,
)
from tests.contract.highlevel_exchanges import UNSPECIFIED, template_for
from tests.contract.openapi import specs_dir_or_skip, validate_request, validate_response
from tests.integrations.providers.highlevel.conftest import unique_email, unique_phone

C = "/contacts/{contactId}"
# GET /contacts/ is deprecated in the spec: the client never calls it (only the endpoint
# explorer offers it), under either version.
EVERY_OPERATION = {
    ("POST", "/contacts/"),
    ("POST", "/contacts/upsert"),
    ("POST", "/contacts/search"),
    ("GET", "/contacts/search/duplicate"),
    ("GET", "/contacts/business/{businessId}"),
    ("GET", C),
    ("PUT", C),
    ("DELETE", C),
    ("GET", C + "/tasks"),
    ("POST", C + "/tasks"),
    ("GET", C + "/tasks/{taskId}"),
    ("PUT", C + "/tasks/{taskId}"),
    ("PUT", C + "/tasks/{taskId}/completed"),
    ("DELETE", C + "/tasks/{taskId}"),
    ("GET", C + "/notes"),
    ("POST", C + "/notes"),
    ("GET", C + "/notes/{id}"),
    ("PUT", C + "/notes/{id}"),
    ("DELETE", C + "/notes/{id}"),
    ("GET", C + "/appointments"),
    ("POST", C + "/tags"),
    ("DELETE", C + "/tags"),
}


@pytest.mark.parametrize("version", ["2021-07-28", "v3"])
def test_every_operation_matches_the_spec(version, pit_connection, make_client, recorder, hl_app):
    specs_dir_or_skip()
    client = make_client(pit_connection(api_version=version))
    fields = {f.fieldKey: f.id for f in client.list_custom_fields()}
    email = unique_email("contract")
    contact = client.create_contact(
        ContactInput(
            firstName="Contract",
            email=email,
            phone=unique_phone(),
            tags=["contract"],
            customFields=[CustomFieldInput(id=fields["contact.loyalty_number"], field_value="L1")],
            dndSettings={"Email": {"status": "inactive"}},
        )
    )
    client.get_contact(contact.id)
    client.update_contact(contact.id, ContactInput(city="Austin", dnd=False))
    client.upsert_contact(ContactInput(email=email, lastName="Upserted"))
    client.find_duplicate(email=email)
    next(iter(client.iter_contacts(page_size=2)))
    next(
        iter(
            client.search_contacts(
                filters=[SearchFilter(field="email", operator="eq", value=email)]
            )
        )
    )
    business = next(c["businessId"] for c in hl_app.data.contacts.values() if c.get("businessId"))
    next(iter(client.contacts_by_business(business, page_size=2)))
    task = client.create_task(contact.id, TaskInput(title="T", dueDate="2026-07-20T10:00:00Z"))
    client.list_tasks(contact.id)
    client.get_task(contact.id, task.id)
    client.update_task(contact.id, task.id, TaskInput(body="B"))
    client.complete_task(contact.id, task.id)
    client.delete_task(contact.id, task.id)
    note = client.create_note(contact.id, NoteInput(body="N"))
    client.list_notes(contact.id)
    client.get_note(contact.id, note.id)
    client.update_note(contact.id, note.id, NoteInput(body="M"))
    client.delete_note(contact.id, note.id)
    client.list_appointments(contact.id)
    client.add_tags(contact.id, ["more"])
    client.remove_tags(contact.id, ["more"])
    client.delete_contact(contact.id)

    spec = "contacts-v3" if version == "v3" else "contacts"
    seen = set()
    for exchange in recorder.exchanges:
        assert exchange.version == version
        assert 200 <= exchange.status < 300, exchange
        if any(exchange.method == m and p.match(exchange.path) for m, p in UNSPECIFIED):
            continue
        seen.add((exchange.method, template_for(spec, exchange.method, exchange.path)))
    assert seen == EVERY_OPERATION
    recorder.validate()
    assert recorder.checked == len(recorder.exchanges) - 1  # all but the custom fields call


def test_the_token_requests_match_the_oauth_spec(hl, control, oauth_connection, monkeypatch):
    """The refresh (a form POST to /oauth/token) and its answer, against oauth.json."""
    specs_dir_or_skip()
    sent = []
    build = http.build_oauth_session

    def recording_session(**kwargs):
        session = build(**kwargs)
        session.hooks["response"].append(lambda response, *a, **k: sent.append(response))
        return session

    monkeypatch.setattr(http, "build_oauth_session", recording_session)
    connection = oauth_connection()
    auth.refresh_access_token(
        connection, rejected_token=connection.get_credentials()["access_token"]
    )

    [response] = sent
    assert response.request.url == hl["token_url"]
    body = dict(parse_qsl(response.request.body))
    assert body["grant_type"] == "refresh_token" and body["user_type"] == "Location"
    validate_request("oauth", "POST", "/oauth/token", body)
    validate_response("oauth", "POST", "/oauth/token", 200, response.json())
