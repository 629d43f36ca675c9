"""The /webhooks registration API and Customer/Updated deliveries as Cin7 sends them."""

import base64
import json
import uuid

import pytest

from tests.integrations.providers.cin7.conftest import customer_body


@pytest.fixture
def register(api):
    made = []

    def create(**fields) -> dict:
        body = {"Type": "Customer/Updated", "IsActive": True, **fields}
        response = api.post("/webhooks", json=body)
        assert response.status_code == 200, response.text
        made.append(response.json()["ID"])
        return response.json()

    yield create
    for hook_id in made:
        api.delete("/webhooks", params={"ID": hook_id})


def test_registrations_are_listed_changed_and_deleted(api, register, receiver):
    hook = register(
        ExternalURL=receiver.url, ExternalAuthorizationType="bearerauth", ExternalBearerToken="t"
    )
    assert hook["Name"] == "Customer Updated" and hook["IsActive"] is True
    listed = api.get("/webhooks").json()["Webhooks"]
    assert hook["ID"] in [h["ID"] for h in listed]
    changed = api.put("/webhooks", json={"ID": hook["ID"], "IsActive": False})
    assert changed.status_code == 200 and changed.json()["IsActive"] is False
    assert api.delete("/webhooks", params={"ID": hook["ID"]}).json() == {"Success": True}
    assert api.delete("/webhooks", params={"ID": hook["ID"]}).status_code == 400


def test_registrations_are_validated(api, receiver):
    for body in (
        {"Type": "Customer/Deleted", "ExternalURL": receiver.url},
        {"Type": "Customer/Updated", "ExternalURL": "ftp://x"},
        {
            "Type": "Customer/Updated",
            "ExternalURL": receiver.url,
            "ExternalAuthorizationType": "bearerauth",
        },
        {
            "Type": "Customer/Updated",
            "ExternalURL": receiver.url,
            "ExternalAuthorizationType": "basicauth",
            "ExternalUserName": "u",
        },
    ):
        assert api.post("/webhooks", json=body).status_code == 400, body


def test_a_ui_change_is_delivered_with_bearer_auth(control, register, receiver, new_customer):
    customer = new_customer()
    register(
        ExternalURL=receiver.url, ExternalAuthorizationType="bearerauth", ExternalBearerToken="tok"
    )
    response = control.ui("PUT", customer["ID"], json={"Comments": "changed in the UI"})
    assert response.status_code == 200
    [delivery] = receiver.wait_for(1)
    assert delivery["headers"]["authorization"] == "Bearer tok"
    assert delivery["headers"]["x-amzn-trace-id"].startswith("Root=1-")
    [sent] = json.loads(delivery["body"])["CustomerDetailsList"]
    assert sent["ID"] == customer["ID"] and sent["Comments"] == "changed in the UI"


def test_basic_auth_and_custom_headers_are_sent_as_configured(register, receiver, new_customer):
    register(
        ExternalURL=receiver.url,
        ExternalAuthorizationType="basicauth",
        ExternalUserName="cb",
        ExternalPassword="s3cret",
        ExternalHeaders=[{"Key": "verification-token", "Value": "v-123"}],
    )
    new_customer()
    [delivery] = receiver.wait_for(1)
    expected = "Basic " + base64.b64encode(b"cb:s3cret").decode()
    assert delivery["headers"]["authorization"] == expected
    assert delivery["headers"]["verification-token"] == "v-123"


def test_changes_close_together_are_batched_latest_state_once(control, register, receiver, api):
    control.set(webhook_batch_ms=400)
    register(ExternalURL=receiver.url)
    first = api.post("/customer", json=_body("Batch A")).json()["CustomerList"][0]
    api.post("/customer", json=_body("Batch B"))
    api.put("/customer", json={"ID": first["ID"], "Comments": "edited"})
    [delivery] = receiver.wait_for(1)
    batch = json.loads(delivery["body"])["CustomerDetailsList"]
    assert [c["Name"].rsplit(" ", 1)[0] for c in batch] == ["Batch B", "Batch A"]
    assert batch[-1]["Comments"] == "edited" and len({c["ID"] for c in batch}) == len(batch)


def test_knobs_turn_off_webhooks_for_creates_and_api_changes(control, register, receiver, api):
    control.set(webhook_on_create=False, webhook_batch_ms=0)
    register(ExternalURL=receiver.url)
    created = api.post("/customer", json=_body("Quiet create")).json()["CustomerList"][0]
    control.set(webhook_on_api_changes=False)
    api.put("/customer", json={"ID": created["ID"], "Comments": "api edit"})
    control.ui("PUT", created["ID"], json={"Comments": "ui edit"})
    [delivery] = receiver.wait_for(1)
    assert json.loads(delivery["body"])["CustomerDetailsList"][0]["Comments"] == "ui edit"
    assert len(receiver.requests) == 1


def test_missed_webhooks_ui_deletes_and_failed_deliveries(control, register, receiver, api):
    control.set(webhook_batch_ms=0, webhook_max_attempts=2, webhook_base_delay_ms=10)
    register(ExternalURL=receiver.url)
    created = control.ui("POST", json={"Name": "UI Made Co"}, params={"webhooks": "false"})
    assert created.status_code == 201 and created.json()["customer"]["Status"] == "Active"
    customer_id = created.json()["customer"]["ID"]
    assert control.ui("DELETE", customer_id).status_code == 200
    assert api.customers(ID=customer_id, IncludeDeprecated="true")["Total"] == 0
    receiver.status = 500
    api.post("/customer", json=_body("Fails Co"))
    receiver.wait_for(2)
    control.set(flush_webhooks=True)
    control.wait_until_settled()  # the sandbox logs an attempt once it has been answered
    [entry] = [d for d in control.deliveries(type="Customer/Updated") if d["status"] == "failed"]
    assert len(entry["attempts"]) == 2 and entry["attempts"][0]["status"] == 500


def _body(name: str) -> dict:
    return customer_body(Name=f"{name} {uuid.uuid4().hex[:8]}")


@pytest.mark.parametrize("shape", ["bare", "wrapped"])
def test_a_new_registration_is_answered_bare_or_wrapped_per_the_knob(api, control, receiver, shape):
    control.set(webhook_answer=shape)
    body = {"Type": "Customer/Updated", "ExternalURL": receiver.url}
    answer = api.post("/webhooks", json=body).json()
    hook = answer["Webhooks"][0] if shape == "wrapped" else answer
    assert set(answer) == ({"Webhooks"} if shape == "wrapped" else set(hook))
    assert hook["ID"] and hook["Type"] == "Customer/Updated"
    assert api.delete("/webhooks", params={"ID": hook["ID"]}).json() == {"Success": True}
