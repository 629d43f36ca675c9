"""A contact's tasks, notes and appointments ("events"). None of these lists is paged.

Tasks fire TaskCreate, TaskComplete (when `completed` turns true) and TaskDelete; notes fire
NoteCreate, NoteUpdate and NoteDelete. A task's dueDate comes back as ISO with milliseconds
whatever ISO form it was sent in."""

import re

from sandboxes.highlevel import serializers as out
from sandboxes.highlevel.context import Ctx
from sandboxes.highlevel.records import iso, new_id, now_ms
from sandboxes.highlevel.state import APPOINTMENT, NOTE, TASK
from sandboxes.highlevel.validation import Checks

TASK_FIELDS = {"title", "body", "dueDate", "completed", "assignedTo"}
NOTE_FIELDS = {"userId", "body", "title", "color", "pinned"}
TAG_RE = re.compile(r"<[^>]+>")


def _task(ctx: Ctx, contact_id: str, task_id: str) -> dict:
    ctx.contact(contact_id)
    task = ctx.data.child(TASK, contact_id, task_id)
    if task is None:
        raise ctx.not_found("Task")
    return task


def _task_changes(ctx: Ctx, *, required: bool) -> dict:
    checks = Checks(ctx.body(), allowed=TASK_FIELDS, strict=ctx.config.strict_properties)
    changes = {
        "title": checks.string("title", required=required),
        "body": checks.string("body"),
        "assignedTo": checks.string("assignedTo"),
        "completed": checks.boolean("completed", required=required),
    }
    due = checks.iso_date("dueDate", required=required)
    checks.done()
    if due is not None:
        changes["dueDate"] = iso(due)
    return {key: value for key, value in changes.items() if value is not None}


def _save_task(ctx: Ctx, task: dict, changes: dict) -> dict:
    updated = {**task, **changes, "dateUpdated": iso(now_ms())}
    ctx.data.save_child(TASK, updated)
    if updated.get("completed") and not task.get("completed"):
        ctx.emit("TaskComplete", updated["locationId"], out.task_event(updated))
    return updated


def list_tasks(ctx: Ctx, contactId: str):
    ctx.contact(contactId)
    return 200, {"tasks": [out.task_out(task) for task in ctx.data.children_of(TASK, contactId)]}


def get_task(ctx: Ctx, contactId: str, taskId: str):
    return 200, {"task": out.task_out(_task(ctx, contactId, taskId))}


def create_task(ctx: Ctx, contactId: str):
    contact = ctx.contact(contactId)
    changes = _task_changes(ctx, required=True)
    now = iso(now_ms())
    task = {"id": new_id(), "contactId": contactId, "locationId": contact["locationId"], **changes}
    task.update(dateAdded=now, dateUpdated=now)
    ctx.data.save_child(TASK, task)
    ctx.emit("TaskCreate", task["locationId"], out.task_event(task))
    return ctx.created, {"task": out.task_out(task)}


def update_task(ctx: Ctx, contactId: str, taskId: str):
    task = _task(ctx, contactId, taskId)
    return 200, {"task": out.task_out(_save_task(ctx, task, _task_changes(ctx, required=False)))}


def complete_task(ctx: Ctx, contactId: str, taskId: str):
    task = _task(ctx, contactId, taskId)
    checks = Checks(ctx.body(), allowed={"completed"}, strict=ctx.config.strict_properties)
    completed = checks.boolean("completed", required=True)
    checks.done()
    return 200, {"task": out.task_out(_save_task(ctx, task, {"completed": completed}))}


def delete_task(ctx: Ctx, contactId: str, taskId: str):
    task = _task(ctx, contactId, taskId)
    ctx.data.delete_child(TASK, task)
    ctx.emit("TaskDelete", task["locationId"], out.task_event(task))
    return 200, {"succeded": True, "succeeded": True}


def _note(ctx: Ctx, contact_id: str, note_id: str) -> dict:
    ctx.contact(contact_id)
    note = ctx.data.child(NOTE, contact_id, note_id)
    if note is None:
        raise ctx.not_found("Note")
    return note


def _note_changes(ctx: Ctx, *, required: bool) -> dict:
    checks = Checks(ctx.body(), allowed=NOTE_FIELDS, strict=ctx.config.strict_properties)
    changes = {
        "body": checks.string("body", required=required),
        "userId": checks.string("userId"),
        "title": checks.string("title"),
        "color": checks.string("color"),
        "pinned": checks.boolean("pinned"),
    }
    checks.done()
    changes = {key: value for key, value in changes.items() if value is not None}
    if "body" in changes:
        changes["bodyText"] = TAG_RE.sub("", changes["body"]).strip()
    return changes


def list_notes(ctx: Ctx, contactId: str):
    ctx.contact(contactId)
    return 200, {"notes": [out.note_out(note) for note in ctx.data.children_of(NOTE, contactId)]}


def get_note(ctx: Ctx, contactId: str, id: str):
    return 200, {"note": out.note_out(_note(ctx, contactId, id))}


def create_note(ctx: Ctx, contactId: str):
    contact = ctx.contact(contactId)
    changes = _note_changes(ctx, required=True)
    note = {
        "id": new_id(),
        "contactId": contactId,
        "locationId": contact["locationId"],
        "pinned": False,
    }
    note.update(changes, dateAdded=iso(now_ms()))
    ctx.data.save_child(NOTE, note)
    ctx.emit("NoteCreate", note["locationId"], out.note_event(note))
    return ctx.created, {"note": out.note_out(note)}


def update_note(ctx: Ctx, contactId: str, id: str):
    note = _note(ctx, contactId, id)
    updated = {**note, **_note_changes(ctx, required=False)}
    ctx.data.save_child(NOTE, updated)
    if updated != note:
        ctx.emit("NoteUpdate", updated["locationId"], out.note_event(updated))
    return 200, {"note": out.note_out(updated)}


def delete_note(ctx: Ctx, contactId: str, id: str):
    note = _note(ctx, contactId, id)
    ctx.data.delete_child(NOTE, note)
    ctx.emit("NoteDelete", note["locationId"], out.note_event(note))
    return 200, {"succeded": True, "succeeded": True}


def list_appointments(ctx: Ctx, contactId: str):
    ctx.contact(contactId)
    events = [out.appointment_out(event) for event in ctx.data.children_of(APPOINTMENT, contactId)]
    return 200, {"events": events}
