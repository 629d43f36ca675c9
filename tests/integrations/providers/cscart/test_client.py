"""CsCartClient against the sandbox: connection test, customers, groups and CS-Cart's quirks."""

import pytest

from integrations.errors import (
    AuthError,
    ConfigError,
    MissingScopeError,
    NotFoundError,
    ValidationFailedError,
)
from integrations.providers.cscart.client import CsCartClient, CustomerExistsError
from integrations.providers.cscart.schemas import CustomerInput
from tests.factories import ConnectionFactory
from tests.integrations.providers.cscart.conftest import make_connection, unique_email


@pytest.fixture
def client(connection) -> CsCartClient:
    return CsCartClient(connection)


def test_check_proves_the_credentials_and_names_the_store(client, creds):
    info = client.check()
    assert info.name == "CS-Cart Sandbox Store"
    assert info.details["api_url"] == creds["api_url"]
    assert info.details["customers"] >= 60


def test_check_with_a_wrong_key_is_an_auth_error_with_cs_carts_words(db, creds):
    connection = make_connection({**creds, "api_key": "not-the-key"})
    with pytest.raises(AuthError) as error:
        CsCartClient(connection).check()
    assert error.value.status == 401
    assert "Unauthorized" in str(error.value) and "API access" in str(error.value)


def test_check_of_a_disabled_administrator_is_an_auth_error(db, creds, control):
    connection = make_connection(
        {**creds, "email": creds["viewer_email"], "api_key": creds["viewer_api_key"]}
    )
    control.act("admin_status", {"email": creds["viewer_email"], "status": "D"})
    try:
        with pytest.raises(AuthError):
            CsCartClient(connection).check()
    finally:
        control.act("admin_status", {"email": creds["viewer_email"], "status": "A"})


def test_missing_credentials_or_store_url_fail_before_any_request(db, creds, control):
    no_key = ConnectionFactory(
        provider="cscart", settings={"store_url": creds["store_url"]}, credentials={"email": "a"}
    )
    with pytest.raises(AuthError, match="e-mail and API key"):
        CsCartClient(no_key).check()
    full = {"email": "a@example.org", "api_key": "k"}
    no_url = ConnectionFactory(provider="cscart", settings={}, credentials=full)
    with pytest.raises(ConfigError, match="store URL"):
        CsCartClient(no_url).check()
    bad_url = ConnectionFactory(
        provider="cscart", settings={"store_url": "shop.example.com"}, credentials=full
    )
    with pytest.raises(ConfigError, match="https://"):
        CsCartClient(bad_url).check()
    assert control.stats()["requests_total"] == 0


def test_an_explicit_base_url_points_at_the_api_root(db, creds):
    connection = make_connection(creds, store_url="", base_url=creds["store_url"] + "/api")
    assert CsCartClient(connection).check().details["api_url"].endswith("/cscart/api")


def test_create_read_update_delete_round_trip(client):
    email = unique_email("round")
    created = client.create_customer(
        CustomerInput(email=email, firstname="Ada", b_city="Austin", fields={"38": "Radio"})
    )
    assert created.email == email and created.user_type == "C"
    assert isinstance(created.user_id, str) and created.user_id.isdigit()  # string, as CS-Cart
    assert created.company_id == "1" and created.created_at is not None
    updated = client.update_customer(created.user_id, CustomerInput(lastname="Lovelace"))
    assert (updated.firstname, updated.lastname) == ("Ada", "Lovelace")
    assert client.get_customer(created.user_id).model_dump() == updated.model_dump()
    client.delete_customer(created.user_id)
    with pytest.raises(NotFoundError):
        client.get_customer(created.user_id)
    with pytest.raises(NotFoundError):
        client.delete_customer(created.user_id)


def test_an_unknown_id_is_not_found_although_cs_cart_answers_200(client):
    with pytest.raises(NotFoundError, match="no user 99999999"):
        client.get_customer("99999999")
    with pytest.raises(NotFoundError, match="not a CS-Cart user id"):
        client.get_customer("abc")


def test_administrators_are_never_read_changed_or_deleted(client, api, control):
    with pytest.raises(NotFoundError, match="not a customer"):
        client.update_customer("1", CustomerInput(email="taken-over@example.org"))
    with pytest.raises(NotFoundError, match="not a customer"):
        client.delete_customer("2")
    assert control.stats()["requests_by_route"].get("PUT /users/{id}", 0) == 0
    assert api.get("/users/2").json()["user_type"] == "A"


def test_a_duplicate_e_mail_names_the_customer_that_holds_it(client, control):
    email = unique_email("dup")
    made = control.act("store_create_user", {"email": email})  # e.g. a create that timed out
    with pytest.raises(CustomerExistsError) as error:
        client.create_customer(CustomerInput(email=email.upper()))
    assert error.value.messages == [
        "The username or email you have chosen already exists. Please try another one."
    ]
    assert error.value.existing.user_id == str(made["user_id"])
    found = client.find_customers_by_email(email.upper())
    assert [c.email for c in found] == [email]


def test_input_refuses_unknown_fields():
    with pytest.raises(ValueError):
        CustomerInput(emial="typo@example.org")


@pytest.mark.parametrize("name", ["password", "password1"])
def test_a_password_is_refused_with_the_reason_never_sent(name):
    # API 2.0 ignores passwords on create and update and still answers success.
    with pytest.raises(ValueError, match="ignores passwords") as refused:
        CustomerInput(email="a@example.org", **{name: "s3cret-pass"})
    assert "s3cret-pass" not in str(refused.value)
    assert "password" not in CustomerInput.model_fields
    assert "password" not in CustomerInput(email="a@example.org").payload()


def test_a_viewer_may_read_but_writes_are_a_missing_privilege(db, creds, client):
    viewer = CsCartClient(
        make_connection(
            {**creds, "email": creds["viewer_email"], "api_key": creds["viewer_api_key"]}
        )
    )
    customer = client.create_customer(CustomerInput(email=unique_email("priv")))
    assert viewer.get_customer(customer.user_id).email == customer.email
    with pytest.raises(MissingScopeError, match="manage users"):
        viewer.update_customer(customer.user_id, CustomerInput(firstname="No"))


def test_user_groups(client):
    groups = client.list_usergroups()
    assert [(g.usergroup_id, g.usergroup) for g in groups] == [
        ("3", "Wholesale"),
        ("4", "VIP"),
        ("5", "Newsletter"),
    ]
    customer = client.create_customer(CustomerInput(email=unique_email("groups")))
    assert client.customer_usergroups(customer.user_id) == []
    client.add_to_usergroup(customer.user_id, "4")
    client.add_to_usergroup(customer.user_id, 5, status="P")
    links = {
        (link.usergroup_id, link.status) for link in client.customer_usergroups(customer.user_id)
    }
    assert links == {("4", "A"), ("5", "P")}
    client.remove_from_usergroup(customer.user_id, 4)
    assert [link.usergroup_id for link in client.customer_usergroups(customer.user_id)] == ["5"]
    with pytest.raises(ValidationFailedError):
        client.add_to_usergroup(customer.user_id, 6)  # an administrator group


def test_reads_keep_fields_cs_cart_adds(client, control):
    control.set(get_includes_profile=True)
    customer = client.create_customer(CustomerInput(email=unique_email("extra"), b_city="Reno"))
    dumped = client.get_customer(customer.user_id).model_dump(mode="json", by_alias=True)
    assert dumped["b_city"] == "Reno"
    assert dumped["usergroups"] == []


def test_old_stores_that_answer_delete_with_200_ok_work_too(client, control):
    customer = client.create_customer(CustomerInput(email=unique_email("legacy")))
    control.set(legacy_delete_ok=True)
    client.delete_customer(customer.user_id)
    with pytest.raises(NotFoundError):
        client.get_customer(customer.user_id)
    assert control.stats()["responses_by_status"]["200"] >= 1
