"""The endpoint explorer's operations on this store's customers."""

from integrations.providers.operations import Param, customer_operations

OPERATIONS = customer_operations(
    collection="/users",
    item="/users/{id}",
    id_param="id",
    create_body={
        "email": "ada@example.com",
        "user_type": "C",
        "company_id": 1,
        "firstname": "Ada",
        "lastname": "Lovelace",
    },
    update_body={"phone": "+441234567890"},
    list_params=(
        Param("user_type", default="C"),
        Param("items_per_page", default="10"),
        Param("page", default="1"),
    ),
)
