"""Forms of the mapping editor: the no-code rule form turns into a spec rule and back.

A rule form posts flat fields (`target`, `source_kind`, `t-0-name`, `t-0-<arg>`, `c-0-field`,
`c-0-op`, `c-0-value`, ...) so transforms and conditions can be added as rows by htmx without
JavaScript; `rule_from_post` rebuilds the rule and says what to fix, field by field.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms

from integrations import jsonsafe
from integrations.models import Connection
from integrations.providers.registry import get_provider, provider_choices
from mappings import engine
from mappings.models import Mapping
from mappings.selectors import connections_for_mappings, new_mapping_start

WRITE_MODES = [
    ("overwrite", "Always overwrite"),
    ("create_only", "Only when creating"),
    ("if_empty", "Only if the target is empty"),
    ("append", "Append (tags, notes)"),
]
# How the rules table says it, in a few words.
WRITE_MODE_WORDS = {
    "overwrite": "overwrites",
    "create_only": "only when creating",
    "if_empty": "only if empty",
    "append": "appends",
}
SOURCE_KINDS = [("field", "A field"), ("constant", "A fixed value"), ("template", "A template")]
# t-<row>-<arg>: the row is checked by row_index, so a mangled one is reported, not dropped.
_ROW = re.compile(r"^(t|c|rc)-(.*)-(\w+)$")
MAX_ROWS = 50  # transforms in a rule, conditions in a rule or a record condition
ROW_ERROR = (
    "Row numbers must be whole numbers from 0 to {last}, not “{row}”; reload the page. "
    "(A rule may have at most {rows} transforms and {rows} conditions.)"
)
MAX_ID = 10**18  # below the largest 64-bit primary key: a bigger "id" is no sample
MAX_CONDITION_DEPTH = 32
MAX_CONDITION_BYTES = 64 * 1024


def transforms_by_name() -> dict[str, dict]:
    return {item["name"]: item for item in engine.transform_catalogue()}


def operators_by_name() -> dict[str, dict]:
    return {item["name"]: item for item in engine.operator_catalogue()}


class ConnectionChoiceField(forms.ModelChoiceField):
    """A connection named with its system, so a store cannot be mistaken for the CRM."""

    def label_from_instance(self, obj: Connection) -> str:
        return f"{obj.name} ({get_provider(obj.provider).name})"


class MappingNewForm(forms.Form):
    name = forms.CharField(max_length=100)
    source_provider = forms.ChoiceField(label="From (source)", choices=provider_choices)
    target_provider = forms.ChoiceField(label="To (target)", choices=provider_choices)
    object_type = forms.ChoiceField(choices=Mapping.ObjectType.choices, initial="contact")
    start = forms.ChoiceField(
        label="Start from",
        choices=[
            ("preset", "The recommended preset for these two systems"),
            ("blank", "An empty mapping"),
            ("import", "A mapping exported as JSON"),
        ],
        widget=forms.RadioSelect,
        initial="preset",
    )
    import_text = forms.CharField(
        label="Exported mapping (JSON)", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    source_connection = ConnectionChoiceField(queryset=Connection.objects.none(), required=False)
    target_connection = ConnectionChoiceField(queryset=Connection.objects.none(), required=False)

    def __init__(self, *args, workspace, **kwargs):
        # Start from the pair of connections the workspace has (a store into HighLevel) and
        # the preset for it, never from a pair that cannot work (HighLevel -> HighLevel).
        self.start_from = new_mapping_start(workspace=workspace)
        kwargs.setdefault(
            "initial",
            {
                "source_provider": self.start_from.source_provider,
                "target_provider": self.start_from.target_provider,
                "source_connection": self.start_from.source_connection,
                "target_connection": self.start_from.target_connection,
                "start": "preset",
            },
        )
        super().__init__(*args, **kwargs)
        connections = connections_for_mappings(workspace=workspace)
        self.fields["source_connection"].help_text = "Where previews fetch sample records."
        self.fields["target_connection"].help_text = "Where custom fields are read from."
        for name in ("source_connection", "target_connection"):
            self.fields[name].queryset = connections
            self.fields[name].empty_label = "— none —"

    def clean(self):
        data = super().clean()
        if data.get("start") == "import" and not (data.get("import_text") or "").strip():
            self.add_error("import_text", "Paste the exported mapping JSON to import it.")
        for side in ("source", "target"):
            connection, provider = data.get(f"{side}_connection"), data.get(f"{side}_provider")
            if connection is not None and provider and connection.provider != provider:
                system = get_provider(connection.provider).name
                self.add_error(
                    f"{side}_connection",
                    f"“{connection.name}” is a connection to {system}: choose {system} as "
                    f"the {side}, or another connection.",
                )
        return data


class MappingSettingsForm(forms.Form):
    name = forms.CharField(max_length=100)
    source_connection = ConnectionChoiceField(queryset=Connection.objects.none(), required=False)
    target_connection = ConnectionChoiceField(queryset=Connection.objects.none(), required=False)

    def __init__(self, *args, mapping: Mapping, **kwargs):
        super().__init__(*args, **kwargs)
        connections = connections_for_mappings(workspace=mapping.workspace)
        self.fields["source_connection"].queryset = connections.filter(
            provider=mapping.source_provider
        )
        self.fields["target_connection"].queryset = connections.filter(
            provider=mapping.target_provider
        )


# --- rule form ------------------------------------------------------------------------------------
@dataclass
class RuleForm:
    """What the rule form shows: the values (as typed) and the errors next to them."""

    values: dict[str, Any] = field(default_factory=dict)
    transforms: list[dict] = field(default_factory=list)  # [{"name", "args": {arg: text}}]
    conditions: list[dict] = field(default_factory=list)  # [{"field", "op", "value"}]
    join: str = "and"
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)


def row_index(text: str | None, *, limit: int = MAX_ROWS) -> int | None:
    """A row number (or an id) from the request: a whole number below `limit`, else None.
    ASCII digits only, and few of them, so "-1", "1e5", "٣" and a 5,000-digit number (which
    int() refuses with a ValueError) are all simply "not a row"."""
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > len(str(limit)):
        return None
    index = int(text)
    return index if index < limit else None


def row_error(row: str) -> str:
    shown = row if len(row) <= 20 else row[:20] + "…"
    return ROW_ERROR.format(last=MAX_ROWS - 1, row=shown, rows=MAX_ROWS)


def _rows(post, prefix: str, form: RuleForm) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key in post:
        match = _ROW.match(key)
        if match and match.group(1) == prefix:
            index = row_index(match.group(2))
            if index is None:
                if f"{prefix}-rows" not in form.errors:  # once is enough to say it
                    form.error(f"{prefix}-rows", row_error(match.group(2)))
                continue
            rows.setdefault(index, {})[match.group(3)] = post.get(key, "")
    return [rows[index] for index in sorted(rows)]


def _arg_from_text(arg: dict, text: str, where: str, form: RuleForm) -> Any:
    kind = arg["type"]
    if kind == "boolean":
        return {"true": True, "false": False}.get(text)
    if kind in ("list", "paths"):
        return [item.strip() for item in text.split(",") if item.strip()] or None
    if kind == "object":
        table = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            if "=" not in line:
                form.error(where, f"Line {number}: write each entry as “from = to”.")
                continue
            key, _, value = line.partition("=")
            table[key.strip()] = value.strip()
        return table or None
    return text if text != "" else None


def _arg_to_text(arg: dict, value: Any) -> str:
    if value is None:
        return ""
    if arg["type"] == "boolean":
        return "true" if value else "false"
    if arg["type"] in ("list", "paths") and isinstance(value, list):
        return ", ".join(map(str, value))
    if arg["type"] == "object" and isinstance(value, dict):
        return "\n".join(f"{k} = {v}" for k, v in value.items())
    if isinstance(value, str):
        return value
    return json.dumps(value)


def rule_from_post(post) -> tuple[dict, RuleForm]:
    """The spec rule the form describes, and the form to show again if it has errors."""
    form = RuleForm(values={key: post.get(key, "") for key in post})
    catalogue = transforms_by_name()
    target = post.get("target", "").strip()
    if not target:
        form.error("target", "Choose the target field this rule writes.")
    kind = post.get("source_kind", "field")
    value = {
        "field": post.get("source_field", "").strip(),
        "constant": post.get("source_constant", ""),
        "template": post.get("source_template", ""),
    }.get(kind)
    if value is None:
        form.error("source_kind", "Choose where the value comes from.")
    elif kind == "field" and not value:
        form.error("source_field", "Choose the source field to read.")
    elif kind == "template" and "{" not in value:
        form.error("source_template", "A template names fields in braces, e.g. {firstName}.")
    transforms = []
    for index, row in enumerate(_rows(post, "t", form)):
        name = row.get("name", "")
        if not name:
            continue
        info = catalogue.get(name)
        if info is None:
            form.error(f"t-{index}", f"There is no transform called “{name}”.")
            continue
        args = {}
        for arg in info["args"]:
            parsed = _arg_from_text(arg, row.get(arg["name"], ""), f"t-{index}", form)
            if parsed is not None:
                args[arg["name"]] = parsed
        transforms.append({"name": name, "args": args})
        form.transforms.append({"name": name, "args": {k: row.get(k, "") for k in row}})
    condition, form.conditions, form.join = condition_from_post(post, form, "c")
    if condition is None and post.get("condition_json"):
        # A condition too nested for the row builder travels as JSON and is kept as it is.
        try:
            condition = jsonsafe.loads(
                post["condition_json"],
                max_depth=MAX_CONDITION_DEPTH,
                max_bytes=MAX_CONDITION_BYTES,
            )
        except jsonsafe.JSONRejected as error:
            form.error("condition", f"The kept condition cannot be used ({error}); rebuild it.")
        form.values["condition_json"] = post["condition_json"]
    mode = post.get("write_mode", "overwrite")
    if mode not in dict(WRITE_MODES):
        form.error("write_mode", "Choose how the rule writes.")
    rule = {
        "target": target,
        "source": {"kind": kind, "value": value},
        "transforms": transforms,
        "condition": condition,
        "write_mode": mode,
        "required": post.get("required") == "on",
        "default": post.get("default") or None,
    }
    return rule, form


def condition_from_post(post, form: RuleForm, prefix: str) -> tuple[dict | None, list, str]:
    operators = operators_by_name()
    join = (
        post.get(f"{prefix}-join", "and") if post.get(f"{prefix}-join") in ("and", "or") else "and"
    )
    leaves, rows = [], []
    for index, row in enumerate(_rows(post, prefix, form)):
        path, op, text = row.get("field", "").strip(), row.get("op", ""), row.get("value", "")
        if not path and not op:
            continue
        rows.append({"field": path, "op": op, "value": text})
        info = operators.get(op)
        if not path:
            form.error(f"{prefix}-{index}", "Choose the field the condition looks at.")
            continue
        if info is None:
            form.error(f"{prefix}-{index}", "Choose an operator.")
            continue
        leaf = {"field": path, "op": op}
        if info["value"] == "list":
            leaf["value"] = [item.strip() for item in text.split(",") if item.strip()]
        elif info["value"] != "none":
            leaf["value"] = text
        leaves.append(leaf)
    if not leaves:
        return None, rows, join
    return (leaves[0] if len(leaves) == 1 else {join: leaves}), rows, join


def condition_rows(condition: dict | None) -> tuple[list[dict], str, bool]:
    """Rows for the form from a stored condition; False when it is too nested for the
    simple builder (it is then shown read-only and kept as is)."""
    if not condition:
        return [], "and", True
    join, leaves = "and", [condition]
    for key in ("and", "or"):
        if key in condition:
            join, leaves = key, condition[key]
    if not all(isinstance(leaf, dict) and "field" in leaf for leaf in leaves):
        return [], join, False
    rows = []
    for leaf in leaves:
        value = leaf.get("value", "")
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        rows.append({"field": leaf["field"], "op": leaf.get("op", ""), "value": text})
    return rows, join, True


def rule_form_for(rule: dict) -> RuleForm:
    """The form showing a stored rule."""
    catalogue = transforms_by_name()
    source = rule.get("source") or {}
    kind = source.get("kind", "field")
    values = {
        "target": rule.get("target", ""),
        "source_kind": kind,
        f"source_{kind}": source.get("value") if source.get("value") is not None else "",
        "write_mode": rule.get("write_mode", "overwrite"),
        "required": "on" if rule.get("required") else "",
        "default": "" if rule.get("default") is None else str(rule.get("default")),
    }
    transforms = []
    for step in rule.get("transforms") or []:
        info = catalogue.get(step.get("name"), {"args": []})
        args = step.get("args") or {}
        transforms.append(
            {
                "name": step.get("name"),
                "args": {a["name"]: _arg_to_text(a, args.get(a["name"])) for a in info["args"]},
            }
        )
    rows, join, simple = condition_rows(rule.get("condition"))
    if not simple:
        values["condition_json"] = json.dumps(rule["condition"])
    return RuleForm(values=values, transforms=transforms, conditions=rows, join=join)
