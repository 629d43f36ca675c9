"""The words actions write: `{{field}}` templates, note bodies compared as people read them,
and the sections copy_appointments and enrich keep inside a platform's one note field.

Action templates use double braces ("Welcome {{firstName}}"), as flow actions are written
everywhere else; the mapping engine's templates use single ones ("{firstName}") and read one
record, so the engine's renderer is not reused here: this filler looks a name up in several
records (what was written, then the source) and never fails on a missing one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from mappings.engine.paths import get_path

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
TAG = re.compile(r"<[^>]+>")
SECTION_LIMIT = 1500  # characters of one section: Cin7's whole Comments field holds 2,000
LIST_LIMIT = 20  # entries per list in a section


def fields_named(text: str) -> list[str]:
    return [match.group(1) for match in PLACEHOLDER.finditer(text)]


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(t for t in (as_text(v) for v in value) if t)
    if isinstance(value, dict):
        return ""
    return str(value).strip()


def fill(text: str, lookup: Callable[[str], Any]) -> str:
    """`text` with each {{name}} replaced by lookup(name) as text ("" when there is none)."""
    return PLACEHOLDER.sub(lambda match: as_text(lookup(match.group(1))), text).strip()


def record_lookup(*records: Mapping | None) -> Callable[[str], Any]:
    """A lookup that tries each record in turn (dotted paths work: "billingPerson.name")."""

    def lookup(name: str) -> Any:
        for record in records:
            if record:
                value = get_path(record, name)
                if value not in (None, "", []):
                    return value
        return None

    return lookup


def note_text(note: Any) -> str:
    """A HighLevel note as people read it: its plain text (`bodyText`, or the body without
    HTML tags), so "<p>Prefers e-mail</p>" and "Prefers e-mail" are the same note."""
    extra = getattr(note, "model_extra", None) or {}
    body = extra.get("bodyText") or getattr(note, "body", None) or ""
    return html.unescape(TAG.sub("", str(body))).strip()


def fold(text: Any) -> str:
    """The form texts are compared in: no markup, spaces collapsed, case folded (the mapping
    engine's append mode compares list entries case-insensitively too)."""
    plain = html.unescape(TAG.sub("", str(text or "")))
    return " ".join(plain.split()).casefold()


def texts(value: Any) -> list[str]:
    """A mapped notes value (a list of bodies, or one text) as non-blank texts."""
    items = value if isinstance(value, list | tuple) else [value]
    return [str(item).strip() for item in items if item is not None and str(item).strip()]


# --- sections inside a note field ----------------------------------------------------------------
def _section_pattern(name: str) -> re.Pattern:
    return re.compile(rf"\n*\[{re.escape(name)}\]\n.*?\n\[/{re.escape(name)}\]", re.DOTALL)


def with_section(current: Any, name: str, body: str | None) -> str:
    """`current` note text with the section `name` set to `body` (added at the end, or
    replaced where it is), or taken out when `body` is None. The rest is left as it was, so
    the mapping's own note text and the user's edits survive."""
    text = "" if current is None else str(current)
    pattern = _section_pattern(name)
    if body is None:
        return pattern.sub("", text).strip()
    if len(body) > SECTION_LIMIT:
        body = body[: SECTION_LIMIT - 1].rstrip() + "…"
    section = f"[{name}]\n{body.strip()}\n[/{name}]"
    if pattern.search(text):
        return pattern.sub(lambda _: "\n\n" + section, text, count=1).strip()
    return f"{text.rstrip()}\n\n{section}".strip()


def _when(value: Any) -> str:
    """An ISO time from HighLevel as "2026-03-14 15:00 UTC" (as sent when it does not parse)."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    suffix = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return moment.strftime("%Y-%m-%d %H:%M") + suffix


def _bullets(lines: Iterable[str]) -> list[str]:
    lines = [line for line in lines if line]
    shown = [f"- {line}" for line in lines[:LIST_LIMIT]]
    if len(lines) > LIST_LIMIT:
        shown.append(f"- … and {len(lines) - LIST_LIMIT} more")
    return shown


def appointments_text(appointments: Iterable[Any]) -> str | None:
    """The appointments, soonest first, one line each; None when there are none."""
    ordered = sorted(appointments, key=lambda a: getattr(a, "startTime", None) or "")
    lines = []
    for appointment in ordered:
        status = getattr(appointment, "appointmentStatus", None) or appointment.status or ""
        title = appointment.title or "Appointment"
        line = f"{_when(appointment.startTime)}: {title}".strip(": ")
        lines.append(f"{line} ({status})" if status else line)
    return "\n".join(_bullets(lines)) if lines else None


def profile_text(contact: Any, tasks: Iterable[Any], notes: Iterable[str], business: dict) -> str:
    """One profile of a HighLevel contact: who, company and business, tags, open tasks, notes."""
    name = " ".join(p for p in (contact.firstName, contact.lastName) if p) or contact.name or ""
    who = " · ".join(p for p in (name, contact.email, contact.phone) if p)
    lines = [who] if who else []
    company = business.get("name") or contact.companyName
    if company:
        others = business.get("others") or []
        also = f" (also there: {', '.join(others)})" if others else ""
        lines.append(f"Company: {company}{also}")
    if contact.tags:
        lines.append("Tags: " + ", ".join(contact.tags))
    open_tasks = [t for t in tasks if not t.completed]
    if open_tasks:
        lines.append("Open tasks:")
        lines.extend(
            _bullets(
                f"{t.title or 'Task'}" + (f" (due {_when(t.dueDate)})" if t.dueDate else "")
                for t in open_tasks
            )
        )
    notes = [n for n in notes if n]
    if notes:
        lines.append("Notes:")
        lines.extend(_bullets(" ".join(n.split()) for n in notes))
    return "\n".join(lines) or "No details in HighLevel."
