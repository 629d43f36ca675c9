"""HighLevel objects as the client returns them, and the bodies it sends.

Responses keep unknown fields (`extra="allow"`): HighLevel adds fields without notice, and a
sync must not drop what it does not know. Request bodies forbid unknown fields, so a typo is
an error here rather than a silently ignored key there. Source: HighLevel's Contacts
OpenAPI spec (docs/providers/highlevel.md).
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def payload(self) -> dict:
        # Unset fields are left out; fields set to None are sent as null (clears them).
        return self.model_dump(exclude_unset=True, by_alias=True)


class CustomFieldValue(_Response):
    id: str
    value: Any = None


class Contact(_Response):
    id: str
    locationId: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    companyName: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None
    country: str | None = None
    website: str | None = None
    timezone: str | None = None
    source: str | None = None
    type: str | None = None
    dnd: bool | None = None
    tags: list[str] = Field(default_factory=list)
    customFields: list[CustomFieldValue] = Field(default_factory=list)
    businessId: str | None = None
    assignedTo: str | None = None
    dateOfBirth: str | None = None
    dateAdded: str | None = None
    dateUpdated: str | None = None
    gender: str | None = None
    dndSettings: dict | None = None
    additionalEmails: list[Any] = Field(default_factory=list)
    additionalPhones: list[Any] = Field(default_factory=list)
    followers: list[str] = Field(default_factory=list)


class CustomFieldInput(_Body):
    """Give `id` or `key` (e.g. "contact.favourite_colour"). The API names the value
    `field_value`; n8n's long-standing custom-field bug was sending `fieldValue`."""

    id: str | None = None
    key: str | None = None
    field_value: Any


class ContactInput(_Body):
    firstName: str | None = None
    lastName: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    gender: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None
    website: str | None = None
    timezone: str | None = None
    dnd: bool | None = None
    dndSettings: dict | None = None
    inboundDndSettings: dict | None = None
    tags: list[str] | None = None
    customFields: list[CustomFieldInput] | None = None
    source: str | None = None
    dateOfBirth: str | None = None
    country: str | None = None
    companyName: str | None = None
    assignedTo: str | None = None


# Fields HighLevel does not accept on PUT /contacts/{id} (UpdateContactDto).
NOT_UPDATABLE = {"gender", "companyName"}


class UpsertResult(_Response):
    new: bool
    contact: Contact


class Task(_Response):
    id: str
    title: str | None = None
    body: str | None = None
    assignedTo: str | None = None
    dueDate: str | None = None
    completed: bool = False
    contactId: str | None = None


class TaskInput(_Body):
    title: str | None = None
    body: str | None = None
    dueDate: str | None = None
    completed: bool | None = None
    assignedTo: str | None = None


class Note(_Response):
    id: str
    body: str | None = None
    userId: str | None = None
    dateAdded: str | None = None
    contactId: str | None = None


class NoteInput(_Body):
    body: str | None = None
    userId: str | None = None
    title: str | None = None
    color: str | None = None
    pinned: bool | None = None


class Appointment(_Response):
    id: str
    calendarId: str | None = None
    title: str | None = None
    status: str | None = None
    appointmentStatus: str | None = None
    startTime: str | None = None
    endTime: str | None = None
    contactId: str | None = None


class CustomField(_Response):
    id: str
    name: str | None = None
    fieldKey: str | None = None
    dataType: str | None = None
    model: str | None = None
    picklistOptions: list[Any] | None = None


class TagChange(_Response):
    tags: list[str] = Field(default_factory=list)
    tagsAdded: list[str] = Field(default_factory=list)
    tagsRemoved: list[str] = Field(default_factory=list)


class SearchFilter(_Body):
    """One condition of POST /contacts/search. `range` takes {"gte"|"gt"|"lte"|"lt": bound};
    gt/gte/lt/lte are one-sided shorthands; exists/not_exists take no value. Dates are ISO
    strings or epoch milliseconds; a list value means "any of"."""

    field: str
    operator: Literal[
        "eq",
        "not_eq",
        "contains",
        "not_contains",
        "exists",
        "not_exists",
        "range",
        "gt",
        "gte",
        "lt",
        "lte",
    ]
    value: Any = None

    def payload(self) -> dict:
        body = super().payload()
        if self.operator in ("exists", "not_exists"):
            body.pop("value", None)  # these operators take no value
        return body


class SearchGroup(_Body):
    """Conditions combined with AND or OR; groups nest."""

    group: Literal["AND", "OR"]
    filters: list["SearchFilter | SearchGroup"]

    def payload(self) -> dict:
        return {"group": self.group, "filters": [f.payload() for f in self.filters]}
