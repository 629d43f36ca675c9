"""The endpoint explorer's operations on this store's customers."""

from integrations.providers.operations import Param, customer_operations

OPERATIONS = customer_operations(
    collection="/customer",
    item="/customer",
    id_param="ID",
    create_body={
        "Name": "Lovelace Trading",
        "Currency": "USD",
        "PaymentTerm": "30 days",
        "TaxRule": "Tax Exempt",
        "AccountReceivable": "610",
        "RevenueAccount": "200",
        "Status": "Active",
    },
    update_body={"ID": "", "Name": "Lovelace Trading Ltd"},
    list_params=(Param("Page", default="1"), Param("Limit", default="10"), Param("Name")),
    get_path="/customer",
    update_path="/customer",
    delete=False,
)
