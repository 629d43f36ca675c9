"""Actions: HighLevel's explorer operations (every Contacts API call), each platform's record
writes as its capabilities allow, and the flow's own actions from sync/actions."""

from __future__ import annotations

from typing import Any

from integrations.providers.base import Provider
from integrations.providers.capabilities import DeleteMode
from sync import actions
from sync.catalogue.entries import (
    ACTION,
    FLOW_ACTIONS,
    READ,
    WRITE,
    Entry,
    Field,
    example_type,
    humanise,
    id_field,
    plural,
    record_fields,
    record_label,
    scope_for,
)

# Operations that write a whole contact: their fields are the provider's field catalogue.
RECORD_OPERATIONS = ("create", "update", "upsert")


def _operation_action(provider: Provider, op) -> Entry:
    """One explorer operation as an action (HighLevel: every Contacts API call)."""
    verb = op.key.split("-", 1)[0]
    record_op = op.key.endswith("-contact") and verb in RECORD_OPERATIONS
    if record_op:
        fields = record_fields(provider, writable=True, create=verb != "update")
        fields = ((id_field(provider),) if verb == "update" else ()) + fields
    else:
        params = [*op.path_params, *op.query_params]
        fields = tuple(
            Field(p.name, humanise(p.name), "string", p.required)
            for p in params
            if p.name != "locationId"  # filled from the connection
        )
        if isinstance(op.body, dict):
            fields += tuple(Field(k, humanise(k), example_type(v)) for k, v in op.body.items())
    where = "in" if op.write else "from"
    description = op.description or f"{op.label} {where} {provider.name}, in one call."
    return Entry(
        provider=provider.key,
        provider_name=provider.name,
        kind=ACTION,
        key=op.key,
        label=op.label,
        description=description,
        group=op.group,
        access=WRITE if op.write else READ,
        scope=op.scope if provider.scopes else scope_for(provider, WRITE if op.write else READ),
        fields=fields,
        endpoint=f"{op.method} {op.path}",
        operation=op.key,
    )


def _record_actions(provider: Provider) -> list[Entry]:
    """Create, update, upsert (when it has one) and delete or deactivate (its delete mode)."""
    caps = provider.capabilities
    label = record_label(provider)
    name = provider.name
    ops = {op.key: op for op in provider.explorer_operations}
    rows = [
        ("create", f"Create {label}", f"Creates a {label} in {name} from the mapped fields."),
        ("update", f"Update {label}", f"Writes the mapped fields to an existing {label}."),
    ]
    if caps.upsert:
        rows.append(
            (
                "upsert",
                f"Create or update {label}",
                f"One call: {name} updates the {label} it matches, or creates one.",
            )
        )
    if caps.delete_mode is DeleteMode.DEACTIVATE:
        rows.append(
            (
                "deactivate",
                f"Deactivate {label}",
                f"{name} never deletes a {label}: it is marked inactive instead.",
            )
        )
    else:
        rows.append(("delete", f"Delete {label}", f"Deletes the {label} from {name}."))
    entries = []
    for verb, title, description in rows:
        if verb in ("create", "upsert"):
            fields = record_fields(provider, writable=True, create=True)
        elif verb == "update":
            fields = (id_field(provider), *record_fields(provider, writable=True))
        else:
            fields = (id_field(provider),)
        op = ops.get(f"{'update' if verb == 'deactivate' else verb}-customer")
        entries.append(
            Entry(
                provider=provider.key,
                provider_name=name,
                kind=ACTION,
                key=f"{label}.{verb}",
                label=title,
                description=description,
                group=plural(label).capitalize(),
                access=WRITE,
                scope=scope_for(provider, WRITE, "create" if verb == "create" else "update"),
                fields=fields,
                endpoint=f"{op.method} {op.path}" if op else "",
                operation=op.key if op else "",
            )
        )
    return entries


def action_types() -> dict[str, dict[str, Any]]:
    """The flow actions sync/actions offers: type -> {label, description, needs, scope,
    works_on, after_write, fields: [{name, required, default, help}]}."""
    return dict(getattr(actions, "ACTION_TYPES", None) or {})


def _action_fits(spec: dict, provider: Provider) -> bool:
    """Whether a flow writing into `provider` can use this action. ACTION_TYPES says what an
    action needs in words ("HighLevel target", "…, platform target with a note field");
    `targets` (provider keys), when an entry has it, settles it instead."""
    if spec.get("targets") is not None:
        return provider.key in spec["targets"]
    needs = str(spec.get("needs") or "")
    if "platform target" in needs:
        note = "note field" not in needs or provider.capabilities.has_notes
        return provider.key != "highlevel" and note
    if "HighLevel target" in needs:
        return provider.key == "highlevel"
    return True


def _action_fields(fields: list[dict]) -> tuple[Field, ...]:
    return tuple(
        Field(
            str(f.get("name", "")),
            humanise(str(f.get("name", ""))),
            "",
            bool(f.get("required")),
            help=str(f.get("help") or ""),
            default=f.get("default"),
        )
        for f in fields or ()
    )


def flow_actions(provider: Provider) -> list[Entry]:
    entries = []
    for key, spec in action_types().items():
        if not _action_fits(spec, provider):
            continue
        label = spec.get("label") or humanise(key)
        description = spec.get("description") or ""
        if spec.get("needs"):
            description += f" Needs a {spec['needs']}."
        if spec.get("after_write") is False:
            description += " Used by the delete policy “archive”, not after writes."
        if provider.key == "highlevel":
            scope = spec.get("scope", "")
        else:
            scope = scope_for(provider, WRITE, "update")
        entries.append(
            Entry(
                provider=provider.key,
                provider_name=provider.name,
                kind=ACTION,
                key=f"flow.{key}",
                label=label,
                description=description.strip(),
                group=FLOW_ACTIONS,
                access=WRITE,
                scope=scope,
                fields=_action_fields(spec.get("fields") or []),
            )
        )
    return entries


def api_actions(provider: Provider) -> list[Entry]:
    if provider.key == "highlevel":
        # Every Contacts API call is an action of its own (the explorer's operations).
        return [_operation_action(provider, op) for op in provider.explorer_operations]
    return _record_actions(provider)
