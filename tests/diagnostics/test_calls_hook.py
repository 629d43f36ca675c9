"""The transport's one observer hook (integrations.calls): endpoint templates, error kinds,
and that observers can neither break a request nor cost anything when there are none."""

import logging

import pytest

from integrations import calls
from integrations.providers.ecwid.client import EcwidClient
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID


@pytest.fixture(scope="module")
def ecwid():
    ECWID.start()
    yield ECWID
    ECWID.stop()


@pytest.fixture
def no_observers():
    """No observer but the test's own (the diagnostics recorder is set aside meanwhile)."""
    saved = list(calls._observers)
    calls._observers.clear()
    yield
    calls._observers[:] = saved


# --- endpoint templates -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "template"),
    [
        # Ecwid: numeric customer and group ids, and the store id of the full API path.
        ("/profile", "/profile"),
        ("/customers", "/customers"),
        ("/customers/68487690", "/customers/{id}"),
        ("/customers/deleted", "/customers/deleted"),
        ("/customer_groups/12", "/customer_groups/{id}"),
        ("/api/v3/1003/customers/68487690", "/api/v3/{id}/customers/{id}"),
        # HighLevel: 20-character ids, 24-hex business ids, and names that stay.
        ("/contacts/", "/contacts/"),
        ("/contacts/upsert", "/contacts/upsert"),
        ("/contacts/search", "/contacts/search"),
        ("/contacts/jKy701hlSIPdiw0x12WA", "/contacts/{id}"),
        ("/contacts/jKy701hlSIPdiw0x12WA/notes/x8RcVb2nQm4LpT6wZ1yA", "/contacts/{id}/notes/{id}"),
        (
            "/contacts/jKy701hlSIPdiw0x12WA/tasks/x8RcVb2nQm4LpT6wZ1yA/completed",
            "/contacts/{id}/tasks/{id}/completed",
        ),
        ("/contacts/business/65a1f0c2b3d4e5f60718293a", "/contacts/business/{id}"),
        ("/contacts/bulk/tags/update/add", "/contacts/bulk/tags/update/add"),
        ("/locations/ve9EPM428h8vShlRW1KT/customFields", "/locations/{id}/customFields"),
        # The query string (where e-mails and ids travel) is never kept.
        (
            "/contacts/search/duplicate?locationId=ve9EPM428h8vShlRW1KT&email=jane%40example.com",
            "/contacts/search/duplicate",
        ),
        ("/customers?email=jane@example.com#top", "/customers"),
        # Cin7 Core: ids in the query string (UUIDs), fixed names in the path.
        ("/customer?ID=2f1c3b7e-9a4d-4c1e-8f2a-0b6d5e4c3a21", "/customer"),
        ("/ref/paymentterm", "/ref/paymentterm"),
        ("/me", "/me"),
        # CS-Cart.
        ("/users/42", "/users/{id}"),
        ("/usergroups", "/usergroups"),
        # Shift4Shop: its API path has a digit in a name, which stays.
        ("/3dCartWebAPI/v2/Customers/12", "/3dCartWebAPI/v2/Customers/{id}"),
        ("/CustomerGroups/3/Customers", "/CustomerGroups/{id}/Customers"),
        # Orderspace: the API version stays.
        ("/v1/customers", "/v1/customers"),
        # UUIDs and e-mail addresses in a path.
        ("/items/2f1c3b7e-9a4d-4c1e-8f2a-0b6d5e4c3a21", "/items/{id}"),
        ("/customers/jane.doe+shop@example.com/orders", "/customers/{id}/orders"),
        ("/v3/customers", "/v3/customers"),
    ],
)
def test_endpoint_template_replaces_ids_and_keeps_names(path, template):
    assert calls.endpoint_template(path) == template


# Orderspace ids are a type prefix and 8 characters (cu_8Fk2LmNp): short, not always a digit.
@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/customers/cu_8Fk2LmNp", "/customers/{id}"),
        ("/webhooks/wh_a1B2c3D4", "/webhooks/{id}"),
    ],
)
def test_endpoint_template_replaces_orderspace_ids(path, template):
    assert calls.endpoint_template(path) == template


# --- error kinds --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (None, "network"),
        (200, ""),
        (201, ""),
        (204, ""),
        (304, ""),
        (400, "validation"),
        (401, "auth"),
        (403, "scope"),
        (404, "not_found"),
        (405, "client"),
        (408, "server"),
        (409, "validation"),
        (410, "client"),
        (422, "validation"),
        (429, "rate_limited"),
        (499, "client"),
        (500, "server"),
        (502, "server"),
        (503, "server"),
        (504, "server"),
    ],
)
def test_error_kind_of_status(status, kind):
    assert calls.error_kind_of_status(status) == kind
    assert kind == "" or kind in calls.ERROR_KINDS


# --- observers around a real request ------------------------------------------------------------
def test_an_observer_that_raises_does_not_break_a_real_request(
    ecwid, workspace, no_observers, caplog
):
    seen: list[calls.ApiCall] = []

    def broken(call):
        raise RuntimeError("observer bug")

    calls.call_observer_add(broken)
    calls.call_observer_add(seen.append)
    connection = ecwid.make_connection(workspace)
    with caplog.at_level(logging.ERROR, logger="integrations.calls"):
        account = EcwidClient(connection).check()

    assert account.name  # the request went through
    assert [(c.method, c.endpoint, c.status) for c in seen] == [
        ("GET", "/profile", 200),
        ("GET", "/customers", 200),
    ]  # and the next observer was still told
    assert seen[0].connection_id == connection.pk and seen[0].workspace_id == workspace.pk
    assert [r.exc_info[1].args for r in caplog.records] == [("observer bug",)] * 2


def test_an_observer_is_registered_once(no_observers):
    seen = []
    calls.call_observer_add(seen.append)
    calls.call_observer_add(seen.append)
    calls.calls_notify(_a_call())
    assert len(seen) == 1
    calls.call_observer_remove(seen.append)
    assert not calls.calls_observed()


def test_with_no_observers_the_transport_reports_nothing(
    ecwid, workspace, no_observers, monkeypatch
):
    built = []
    monkeypatch.setattr(calls, "endpoint_template", lambda path: built.append(path) or path)
    monkeypatch.setattr(calls, "calls_notify", lambda call: built.append(call))
    client = EcwidClient(ecwid.make_connection(workspace))

    client.check()
    assert built == []  # nothing was built, nobody was told

    calls.call_observer_add(lambda call: None)  # with one, the same request is reported
    client.check()
    assert built[0] == "/profile" and len(built) == 4


def _a_call() -> calls.ApiCall:
    from datetime import UTC, datetime

    return calls.ApiCall(
        at=datetime.now(UTC),
        provider="ecwid",
        connection_id=None,
        workspace_id=None,
        method="GET",
        endpoint="/profile",
        status=200,
        latency_ms=1.0,
    )
