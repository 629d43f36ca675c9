"""HighLevel → platform actions that write into the platform customer's one note field:
`copy_appointments` (the contact's appointments) and `enrich` (a profile: the contact, its
open tasks, its notes, its business).

The HighLevel side is the flow's *source*: it is read with the source connection's
HighLevel client. Each action owns a section of the note field ("[HighLevel appointments]
… [/HighLevel appointments]") and replaces only that, so the mapping's own note text and
what people typed there stay; an unchanged section is not written again.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from integrations.errors import ConfigError
from mappings.engine.paths import compile_setter, get_path
from sync.actions.contact import HighLevelContact
from sync.actions.text import appointments_text, profile_text, with_section

APPOINTMENTS = "HighLevel appointments"
PROFILE = "HighLevel profile"
BUSINESS_PEEK = 6  # contacts read from the business (one request) to name a few others


class PlatformNote:
    """The note field of one platform record: read once, written only when it changes."""

    def __init__(self, target, target_id: str):
        self.target = target
        self.target_id = target_id
        self._record: dict | None = None

    def set_section(self, field: str, name: str, body: str | None) -> bool:
        if self._record is None:
            self._record = self.target.get(self.target_id)
        current = get_path(self._record, field)
        text = with_section(current, name, body)
        if text == ("" if current is None else str(current)).strip():
            return False
        payload: dict[str, Any] = {}
        compile_setter(field)(payload, text)
        self._record = self.target.update(self.target_id, payload)
        return True


class HighLevelSource:
    """The source HighLevel contact, each part read at most once."""

    def __init__(self, client, contact_id: str):
        if not contact_id:
            raise ConfigError("The source record has no HighLevel contact id to read.")
        self.client = client
        self.contact = HighLevelContact(client, contact_id)
        self.id = contact_id

    def appointments_text(self) -> str | None:
        return appointments_text(self.client.list_appointments(self.id))

    def business(self, contact) -> dict:
        """{"name", "others"}: the business's name and a few other people in it, from one
        page of GET /contacts/business/{id} (search items carry `businessName`)."""
        if not contact.businessId:
            return {}
        people = list(
            islice(
                self.client.contacts_by_business(contact.businessId, page_size=BUSINESS_PEEK),
                BUSINESS_PEEK,
            )
        )
        names = [(p.model_extra or {}).get("businessName") for p in people]
        name = next((n for n in names if n), None)
        others = [
            " ".join(x for x in (p.firstName, p.lastName) if x) or p.email or p.id
            for p in people
            if p.id != contact.id
        ]
        return {"name": name, "others": others[: BUSINESS_PEEK - 1]}

    def profile_text(self) -> str:
        contact = self.client.get_contact(self.id)
        return profile_text(
            contact, self.contact.tasks(), self.contact.note_texts(), self.business(contact)
        )


def copy_appointments(source: HighLevelSource, note: PlatformNote, field: str) -> None:
    note.set_section(field, APPOINTMENTS, source.appointments_text())


def enrich(source: HighLevelSource, note: PlatformNote, field: str) -> None:
    note.set_section(field, PROFILE, source.profile_text())
