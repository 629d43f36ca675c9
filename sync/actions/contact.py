"""One HighLevel contact as the actions change it: notes, tasks and tags through the
HighLevel client, each list read at most once per record and kept up to date as we write,
so several actions on the same contact cost one read each, and none for a contact that was
just created (it has no notes or tasks yet).

Writes are idempotent where a repeat would show: a note whose text the contact already has
is not added again, nor a task while an open one with the same title exists. A run that is
retried, or a record synced a second time, therefore leaves the contact as the first did.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from integrations.providers.highlevel.adapters import iso_ms
from integrations.providers.highlevel.schemas import NoteInput, Task, TaskInput
from sync.actions.text import fold, note_text, texts


class HighLevelContact:
    def __init__(self, client, contact_id: str, *, is_new: bool = False):
        self.client = client
        self.id = contact_id
        self._notes: list[str] | None = [] if is_new else None
        self._tasks: list[Task] | None = [] if is_new else None

    # --- reads (once) ------------------------------------------------------------------------
    def note_texts(self) -> list[str]:
        if self._notes is None:
            self._notes = [note_text(n) for n in self.client.list_notes(self.id)]
        return self._notes

    def tasks(self) -> list[Task]:
        if self._tasks is None:
            self._tasks = list(self.client.list_tasks(self.id))
        return self._tasks

    def open_tasks(self) -> list[Task]:
        return [task for task in self.tasks() if not task.completed]

    # --- writes ------------------------------------------------------------------------------
    def add_notes(self, bodies: Iterable[str]) -> int:
        """Each body the contact does not have yet (compared as read: no markup, any case)
        becomes a note; the number added."""
        have = {fold(text) for text in self.note_texts()}
        added = 0
        for body in texts(list(bodies)):
            key = fold(body)
            if not key or key in have:
                continue
            self.client.create_note(self.id, NoteInput(body=body))
            have.add(key)
            self.note_texts().append(body)
            added += 1
        return added

    def create_task(
        self, *, title: str, body: str, due: datetime, assigned_to: str | None = None
    ) -> bool:
        """A task, unless an open one with this title is there already (a repeat)."""
        if any(fold(task.title) == fold(title) for task in self.open_tasks()):
            return False
        fields = {"title": title, "dueDate": iso_ms(due), "body": body, "assignedTo": assigned_to}
        data = TaskInput(**{key: value for key, value in fields.items() if value})
        self.tasks().append(self.client.create_task(self.id, data))
        return True

    def close_open_tasks(self, *, delete: bool = False) -> int:
        """Complete (or delete) every open task; the number closed."""
        closed = 0
        for task in self.open_tasks():
            if delete:
                self.client.delete_task(self.id, task.id)
                self.tasks().remove(task)
            else:
                done = self.client.complete_task(self.id, task.id)
                tasks = self.tasks()
                tasks[tasks.index(task)] = done
            closed += 1
        return closed

    def add_tags(self, tags: Iterable[str]) -> None:
        wanted = [t for t in dict.fromkeys(tags) if t]
        if wanted:
            self.client.add_tags(self.id, wanted)

    def remove_tags(self, tags: Iterable[str]) -> None:
        unwanted = [t for t in dict.fromkeys(tags) if t]
        if unwanted:
            self.client.remove_tags(self.id, unwanted)
