"""The endpoint explorer's operations on this store's customers."""

from integrations.providers.operations import Param, customer_operations

OPERATIONS = customer_operations(
    collection="/customers",
    item="/customers/{id}",
    id_param="id",
    create_body={
        "customer": {
            "company_name": "Lovelace Trading",
            "buyers": [{"name": "Ada Lovelace", "email_address": "ada@example.com"}],
        }
    },
    update_body={"customer": {"phone": "+441234567890"}},
    list_params=(Param("limit", default="50"), Param("starting_after")),
)
