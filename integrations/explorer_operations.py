"""The operations the endpoint explorer offers, per provider: method, path, parameters and an
example body, grouped as each provider's documentation groups them.

Paths are relative to the provider transport's `base_url`. `{name}` in a path is a path
parameter; a parameter default of LOCATION is filled with the connection's location ID.
References: ../shared/reference/highlevel-contacts-api.md §3 and store-platform-apis.md.
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


HL_READ, HL_WRITE = "contacts.readonly", "contacts.write"
CONTACT = Param("contactId", required=True, help_text="A contact ID, e.g. from List contacts.")
TASK = Param("taskId", required=True)
NOTE = Param("id", required=True, help_text="The note ID.")
NEW_CONTACT = {
    "locationId": LOCATION,
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "ada.lovelace@example.com",
    "phone": "+14155550123",
    "tags": ["explorer"],
}

# One row per operation, as a table: key, group, label, method, path, scope, path parameters,
# query parameters, example body.
# fmt: off
HIGHLEVEL = (
    Operation("get-contact", "Contacts", "Get contact", "GET", "/contacts/{contactId}", HL_READ,
              (CONTACT,)),
    Operation("create-contact", "Contacts", "Create contact", "POST", "/contacts/", HL_WRITE,
              body=NEW_CONTACT),
    Operation("update-contact", "Contacts", "Update contact", "PUT", "/contacts/{contactId}",
              HL_WRITE, (CONTACT,), body={"companyName": "Analytical Engines Ltd"},
              description="Only the fields sent change; tags, when sent, replace all tags."),
    Operation("delete-contact", "Contacts", "Delete contact", "DELETE", "/contacts/{contactId}",
              HL_WRITE, (CONTACT,)),
    Operation("upsert-contact", "Contacts", "Upsert contact", "POST", "/contacts/upsert",
              HL_WRITE, body=NEW_CONTACT,
              description="Create, or update the contact the location's duplicate rule matches."),
    Operation("list-contacts", "Contacts", "List contacts", "GET", "/contacts/", HL_READ,
              query_params=(Param("locationId", required=True, default=LOCATION),
                            Param("limit", default="20", help_text="At most 100."),
                            Param("query", help_text="Matches name, e-mail, phone, tags, company."),
                            Param("startAfterId"),
                            Param("startAfter", help_text="Epoch ms, from the last page's meta.")),
              description="Deprecated by HighLevel in favour of Search, still served."),
    Operation("contacts-by-business", "Contacts", "Contacts by business", "GET",
              "/contacts/business/{businessId}", HL_READ, (Param("businessId", required=True),),
              (Param("locationId", required=True, default=LOCATION), Param("limit", default="25"),
               Param("skip", default="0"), Param("query"))),
    Operation("search-contacts", "Search", "Search contacts", "POST", "/contacts/search", HL_READ,
              body={"locationId": LOCATION, "pageLimit": 20, "page": 1, "query": ""},
              extra={"read_post": True}),
    Operation("duplicate-search", "Search", "Find duplicate", "GET",
              "/contacts/search/duplicate", HL_READ,
              query_params=(Param("locationId", required=True, default=LOCATION), Param("email"),
                            Param("number", help_text="Phone number, e.g. +14155550123."))),
    Operation("list-tasks", "Tasks", "List tasks", "GET", "/contacts/{contactId}/tasks", HL_READ,
              (CONTACT,)),
    Operation("get-task", "Tasks", "Get task", "GET", "/contacts/{contactId}/tasks/{taskId}",
              HL_READ, (CONTACT, TASK)),
    Operation("create-task", "Tasks", "Create task", "POST", "/contacts/{contactId}/tasks",
              HL_WRITE, (CONTACT,),
              body={"title": "Call back", "dueDate": "2030-01-15T10:00:00Z", "completed": False}),
    Operation("update-task", "Tasks", "Update task", "PUT", "/contacts/{contactId}/tasks/{taskId}",
              HL_WRITE, (CONTACT, TASK), body={"title": "Call back (moved)"}),
    Operation("complete-task", "Tasks", "Complete task", "PUT",
              "/contacts/{contactId}/tasks/{taskId}/completed", HL_WRITE, (CONTACT, TASK),
              body={"completed": True}),
    Operation("delete-task", "Tasks", "Delete task", "DELETE",
              "/contacts/{contactId}/tasks/{taskId}", HL_WRITE, (CONTACT, TASK)),
    Operation("list-notes", "Notes", "List notes", "GET", "/contacts/{contactId}/notes", HL_READ,
              (CONTACT,)),
    Operation("get-note", "Notes", "Get note", "GET", "/contacts/{contactId}/notes/{id}", HL_READ,
              (CONTACT, NOTE)),
    Operation("create-note", "Notes", "Create note", "POST", "/contacts/{contactId}/notes",
              HL_WRITE, (CONTACT,), body={"body": "Met at the trade fair."}),
    Operation("update-note", "Notes", "Update note", "PUT", "/contacts/{contactId}/notes/{id}",
              HL_WRITE, (CONTACT, NOTE), body={"body": "Met at the trade fair; wants a quote."}),
    Operation("delete-note", "Notes", "Delete note", "DELETE", "/contacts/{contactId}/notes/{id}",
              HL_WRITE, (CONTACT, NOTE)),
    Operation("list-appointments", "Appointments", "List appointments", "GET",
              "/contacts/{contactId}/appointments", HL_READ, (CONTACT,)),
    Operation("add-tags", "Tags", "Add tags", "POST", "/contacts/{contactId}/tags", HL_WRITE,
              (CONTACT,), body={"tags": ["vip"]}),
    Operation("remove-tags", "Tags", "Remove tags", "DELETE", "/contacts/{contactId}/tags",
              HL_WRITE, (CONTACT,), body={"tags": ["vip"]}),
)
# fmt: on


def _customers(
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


PLATFORMS = {
    "orderspace": _customers(
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
    ),
    "ecwid": _customers(
        collection="/customers",
        item="/customers/{customerId}",
        id_param="customerId",
        create_body={"email": "ada@example.com", "billingPerson": {"name": "Ada Lovelace"}},
        update_body={"billingPerson": {"companyName": "Lovelace Trading"}},
        list_params=(Param("limit", default="100"), Param("offset", default="0"), Param("email")),
    ),
    "cscart": _customers(
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
    ),
    "shift4shop": _customers(
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
    ),
    "cin7": _customers(
        collection="/customer",
        item="/customer",
        id_param="ID",
        create_body={
            "Name": "Lovelace Trading",
            "Currency": "USD",
            "PaymentTerm": "30 days",
            "TaxRule": "Tax Exempt",
            "PriceTier": "Tier 1",
            "Status": "Active",
        },
        update_body={"ID": "", "Name": "Lovelace Trading Ltd"},
        list_params=(Param("Page", default="1"), Param("Limit", default="10"), Param("Name")),
        get_path="/customer",
        update_path="/customer",
        delete=False,
    ),
}

OPERATIONS: dict[str, tuple[Operation, ...]] = {"highlevel": HIGHLEVEL, **PLATFORMS}


def operations_for(provider_key: str) -> tuple[Operation, ...]:
    return OPERATIONS.get(provider_key, ())


def operation(provider_key: str, key: str) -> Operation | None:
    return next((op for op in operations_for(provider_key) if op.key == key), None)


def grouped(provider_key: str) -> list[tuple[str, list[Operation]]]:
    groups: dict[str, list[Operation]] = {}
    for op in operations_for(provider_key):
        groups.setdefault(op.group, []).append(op)
    return list(groups.items())
