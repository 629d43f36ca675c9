"""What an endpoint-explorer operation is. Each provider lists its own in `explorer.py`
(method, path, parameters and an example body, grouped as its documentation groups them).

Paths are relative to the provider transport's `base_url`. `{name}` in a path is a path
parameter; a parameter default of LOCATION is filled with the connection's location ID.
"""

from dataclasses import dataclass, field

LOCATION = "@location_id"  # filled from the connection's settings


@dataclass(frozen=True)
class Param:
    name: str
    required: bool = False
    default: str = ""
    help_text: str = ""


@dataclass(frozen=True)
class Operation:
    key: str
    group: str
    label: str
    method: str
    path: str
    scope: str  # what it needs, in the provider's terms ("contacts.readonly", "read")
    path_params: tuple[Param, ...] = ()
    query_params: tuple[Param, ...] = ()
    body: dict | list | None = None  # the example shown in the body box; None = no body
    description: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def write(self) -> bool:
        return self.method != "GET" and not self.extra.get("read_post")


def customer_operations(
    *,
    collection: str,
    item: str,
    id_param: str,
    create_body: dict,
    update_body: dict,
    list_params: tuple[Param, ...] = (),
    update_path: str | None = None,
    get_path: str | None = None,
    delete: bool = True,
) -> tuple[Operation, ...]:
    """List/get/create/update/delete of a store's customers, which all five platforms have
    in nearly the same shape."""
    ident = Param(id_param, required=True)
    get_params = () if get_path else (ident,)
    operations = [
        Operation(
            "list-customers",
            "Customers",
            "List customers",
            "GET",
            collection,
            "read",
            query_params=list_params,
        ),
        Operation(
            "get-customer",
            "Customers",
            "Get customer",
            "GET",
            get_path or item,
            "read",
            get_params,
            (ident,) if get_path else (),
        ),
        Operation(
            "create-customer",
            "Customers",
            "Create customer",
            "POST",
            collection,
            "write",
            body=create_body,
        ),
        Operation(
            "update-customer",
            "Customers",
            "Update customer",
            "PUT",
            update_path or item,
            "write",
            () if update_path else (ident,),
            body=update_body,
        ),
    ]
    if delete:
        operations.append(
            Operation(
                "delete-customer", "Customers", "Delete customer", "DELETE", item, "write", (ident,)
            )
        )
    return tuple(operations)
