"""The endpoint explorer's HighLevel operations: every Contacts API call (docs/providers.md).

GET /contacts/ is here only for exploring: the Contacts spec marks it deprecated, and the
client scans contacts through POST /contacts/search instead."""

from integrations.providers.operations import LOCATION, Operation, Param

HL_READ, HL_WRITE = "contacts.readonly", "contacts.write"
CONTACT = Param("contactId", required=True, help_text="A contact ID, e.g. from Search contacts.")
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
OPERATIONS = (
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
    Operation("list-contacts", "Contacts", "List contacts (deprecated)", "GET", "/contacts/",
              HL_READ,
              query_params=(Param("locationId", required=True, default=LOCATION),
                            Param("limit", default="20", help_text="At most 100."),
                            Param("query", help_text="Matches name, e-mail, phone, tags, company."),
                            Param("startAfterId"),
                            Param("startAfter", help_text="Epoch ms, from the last page's meta.")),
              description="Deprecated by HighLevel in favour of Search contacts, still served; "
                          "ContactBridge itself never calls it.",
              extra={"deprecated": True}),
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
