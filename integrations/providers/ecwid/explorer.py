"""The endpoint explorer's operations on this store's customers."""

from integrations.providers.operations import Param, customer_operations

OPERATIONS = customer_operations(
    collection="/customers",
    item="/customers/{customerId}",
    id_param="customerId",
    create_body={"email": "ada@example.com", "billingPerson": {"name": "Ada Lovelace"}},
    update_body={"billingPerson": {"companyName": "Lovelace Trading"}},
    list_params=(Param("limit", default="100"), Param("offset", default="0"), Param("email")),
)
