"""The endpoint explorer's operations on this store's customers."""

from integrations.providers.operations import Param, customer_operations

OPERATIONS = customer_operations(
    collection="/Customers",
    item="/Customers/{id}",
    id_param="id",
    create_body={
        "Email": "ada@example.com",
        "BillingFirstName": "Ada",
        "BillingLastName": "Lovelace",
    },
    update_body={"BillingCompany": "Lovelace Trading"},
    list_params=(Param("limit", default="10"), Param("offset", default="0"), Param("email")),
)
