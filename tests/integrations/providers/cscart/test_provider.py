"""The registry entry, the "Use sandbox" seam and the field catalogue agree with the client."""

from integrations.connection_check import connection_check
from integrations.models import Connection
from integrations.providers.base import ObjectType
from integrations.providers.cscart.adapters import CsCartCustomers
from integrations.providers.cscart.client import CsCartClient
from integrations.providers.cscart.fields import catalogue
from integrations.providers.cscart.schemas import CustomerInput, User
from integrations.providers.registry import get_provider
from sandboxes.cscart import connection_values
from tests.factories import ConnectionFactory
from tests.integrations.providers.cscart.conftest import make_connection


def test_the_registry_names_the_client_and_the_contact_adapter():
    info = get_provider("cscart")
    assert info.client is CsCartClient
    assert info.adapters == {ObjectType.CONTACT: CsCartCustomers}
    assert info.verify_webhook is None and not info.capabilities.sends_webhooks
    assert {f.key for f in info.credential_fields} == {"email", "api_key"}
    assert [f.key for f in info.setting_fields] == ["store_url"]


def test_use_sandbox_values_make_a_working_connection(db, creds):
    credentials, settings = connection_values(creds)
    assert set(credentials) == {"email", "api_key"} and set(settings) == {"store_url"}
    connection = ConnectionFactory(provider="cscart", settings=settings, credentials=credentials)
    assert CsCartClient(connection).check().name == "CS-Cart Sandbox Store"


def test_every_readable_catalogue_path_is_a_key_of_the_dumped_customer(db, creds):
    credentials, settings = connection_values(creds)
    connection = ConnectionFactory(provider="cscart", settings=settings, credentials=credentials)
    customer = next(CsCartClient(connection).iter_customers(page_size=1))
    dumped = customer.model_dump(mode="json", by_alias=True, exclude_none=False)
    # User groups are read from their own endpoint by a flow (supplied_by_sync).
    readable = [
        s.path
        for s in catalogue()
        if not s.extra.get("write_only") and not s.extra.get("supplied_by_sync")
    ]
    assert set(readable) == set(dumped)
    assert all(isinstance(dumped[key], str) for key in ("user_id", "timestamp", "company_id"))


def test_every_writable_catalogue_path_is_accepted_by_the_input_model():
    writable = [
        s.path for s in catalogue() if not s.read_only and not s.extra.get("supplied_by_sync")
    ]
    fields = set(CustomerInput.model_fields)
    assert [p for p in writable if p.split(".")[0] not in fields] == []
    required = [s.path for s in catalogue() if s.required]
    assert required == ["email", "company_id"]


def test_named_profile_fields_join_the_catalogue(db):
    connection = ConnectionFactory(
        provider="cscart", settings={"profile_fields": {"38": "How did you hear about us?"}}
    )
    custom = [s for s in catalogue(connection) if s.custom]
    assert [(s.path, s.label) for s in custom] == [("fields.38", "How did you hear about us?")]
    assert custom[0].extra["write_only"]


def test_write_answers_with_integers_become_the_same_strings_as_reads():
    assert User.model_validate({"user_id": 42, "timestamp": 1735689600}).user_id == "42"


def test_test_connection_records_the_store_name_or_the_refusal(db, creds):
    good = make_connection(creds)
    result = connection_check(connection=good)
    assert result.ok and result.account_name == "CS-Cart Sandbox Store"
    assert Connection.objects.get(pk=good.pk).status == Connection.Status.CONNECTED

    bad = make_connection({**creds, "api_key": "wrong"})
    result = connection_check(connection=bad)
    assert (result.ok, result.failure, result.status) == (False, "bad_credentials", 401)
    assert Connection.objects.get(pk=bad.pk).status == Connection.Status.NEEDS_RECONNECT
