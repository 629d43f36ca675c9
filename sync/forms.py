"""The flow form: which two connections, through which mapping, started by what, doing what.

Its choices come from the catalogue and the connections' providers: webhooks only when the
source sends them, the delete policies the target can carry out, the flow actions the target
offers. Every refusal names the field and says what to choose instead.
"""

import json
import zoneinfo

from django import forms

from integrations import jsonsafe
from integrations.models import Connection
from integrations.providers.base import ObjectType
from integrations.providers.registry import get_provider
from mappings.models import Mapping
from mappings.presets import PresetNotFound, load_preset
from sync import actions, catalogue
from sync.models import Flow

PRESET = "preset"
MAX_ACTIONS_BYTES = 64 * 1024
OBJECT_WORDS = {
    ObjectType.CONTACT: "Contacts and customers",
    ObjectType.TASK: "Tasks",
    ObjectType.NOTE: "Notes",
}
TIME_ZONES = sorted(zoneinfo.available_timezones())


def has_preset(source: str, target: str) -> bool:
    try:
        load_preset(source, target)
    except PresetNotFound:
        return False
    return True


class ConnectionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Connection) -> str:
        return f"{obj.name} ({get_provider(obj.provider).name})"


class FlowForm(forms.Form):
    name = forms.CharField(max_length=100)
    source_connection = ConnectionChoice(
        label="From (source)", queryset=Connection.objects.none(), empty_label="Choose…"
    )
    target_connection = ConnectionChoice(
        label="To (target)", queryset=Connection.objects.none(), empty_label="Choose…"
    )
    mapping = forms.CharField(
        label="Mapping",
        widget=forms.Select,
        error_messages={"required": "Choose a mapping, or a new one from the preset."},
    )
    object_type = forms.ChoiceField(label="What to sync", choices=(), initial="contact")
    trigger_webhook = forms.BooleanField(
        label="As soon as the source sends a webhook", required=False, initial=True
    )
    poll_minutes = forms.IntegerField(
        label="Poll every (minutes)", required=False, min_value=1, max_value=24 * 60
    )
    schedule_time = forms.TimeField(
        label="Every day at", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    schedule_timezone = forms.ChoiceField(
        label="Time zone", choices=[(z, z) for z in TIME_ZONES], initial="UTC"
    )
    actions = forms.CharField(
        label="Actions after each record is written (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "code"}),
    )
    delete_policy = forms.ChoiceField(label="When a record is deleted in the source", choices=())
    match_by = forms.ChoiceField(
        label="Match records the first time by", choices=Flow.MatchBy.choices
    )
    direction = forms.ChoiceField(
        label="Direction",
        choices=Flow.Direction.choices,
        initial=Flow.Direction.ONE_WAY,
        required=False,  # left out: one way
    )
    reverse_mapping = forms.CharField(
        label="Mapping back (target → source)", required=False, widget=forms.Select
    )
    conflict_policy = forms.ChoiceField(
        label="When both systems changed a field since the last sync",
        choices=Flow.ConflictPolicy.choices,
        initial=Flow.ConflictPolicy.NEWEST,
        required=False,  # left out: the newest change wins
    )
    field_policies = forms.CharField(
        label="Per field (one per line: field = newest, source, target or review)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "code"}),
    )
    reconcile_time = forms.TimeField(
        label="Reconcile both sides every night at",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Reads both systems completely and reports (and repairs) what differs.",
    )
    reconcile_repairs = forms.BooleanField(
        label="Repair what the reconciliation finds (else only report it)",
        required=False,
        initial=True,
    )

    def __init__(self, *args, workspace, allow_preset: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.allow_preset = allow_preset
        connections = Connection.objects.finished().filter(workspace=workspace).order_by("name")
        self.fields["source_connection"].queryset = connections
        self.fields["target_connection"].queryset = connections
        self.mappings = list(Mapping.objects.filter(workspace=workspace).order_by("name"))
        self.source = self._chosen("source_connection")
        self.target = self._chosen("target_connection")
        self._offer_mappings()
        self._offer_reverse_mappings()
        self._offer_triggers()
        self._offer_object_types()
        self._offer_delete_policies()
        self.fields["actions"].help_text = (
            'A list, e.g. [{"type": "create_task", "title": "Welcome call", '
            '"due_in_days": 3, "on": "created"}]. Leave empty for none.'
        )
        self.flow_actions = catalogue.flow_actions_for(self.target.provider) if self.target else []

    # -- what the chosen connections allow ----------------------------------------------------
    def _chosen(self, name: str) -> Connection | None:
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        if isinstance(value, Connection):
            return value if value.workspace_id == self.workspace.pk else None
        if not (isinstance(value, str | int) and str(value).isascii() and str(value).isdigit()):
            return None
        if len(str(value)) > 18:
            return None
        return self.fields[name].queryset.filter(pk=int(value)).first()

    @property
    def pair(self) -> tuple[str, str] | None:
        if self.source and self.target:
            return self.source.provider, self.target.provider
        return None

    def pair_words(self) -> str:
        return f"{get_provider(self.pair[0]).name} → {get_provider(self.pair[1]).name}"

    def _offer_mappings(self) -> None:
        choices: list = [("", "Choose…")]
        pair = self.pair
        if pair:
            if self.allow_preset and has_preset(*pair):
                choices.append((PRESET, f"A new mapping from the {self.pair_words()} preset"))
            matching = [m for m in self.mappings if _pair_of(m) == pair]
            choices += [(str(m.pk), m.name) for m in matching]
            if not matching and not has_preset(*pair):
                words = self.pair_words()
                self.fields["mapping"].help_text = f"No mapping for {words} yet, and no preset."
            offered = [value for value, _label in choices if value]
            if not self.is_bound and str(self.initial.get("mapping") or "") not in offered:
                # The pair's only mapping, else a new one from the preset, is the likely pick.
                self.initial["mapping"] = (
                    str(matching[0].pk) if len(matching) == 1 else (offered[0] if offered else "")
                )
        else:
            if self.allow_preset:
                choices.append((PRESET, "A new mapping from the preset for these two systems"))
            choices += [(str(m.pk), f"{m.name} ({_pair_name(m)})") for m in self.mappings]
        self.fields["mapping"].widget.choices = choices

    def _offer_reverse_mappings(self) -> None:
        choices: list = [("", "None: one way")]
        pair = self.pair
        if pair:
            back = (pair[1], pair[0])
            if has_preset(*back):
                words = f"{get_provider(back[0]).name} → {get_provider(back[1]).name}"
                choices.append((PRESET, f"A new mapping from the {words} preset"))
            choices += [(str(m.pk), m.name) for m in self.mappings if _pair_of(m) == back]
        self.fields["reverse_mapping"].widget.choices = choices

    def _offer_triggers(self) -> None:
        field = self.fields["trigger_webhook"]
        if self.source is None:
            return
        provider = get_provider(self.source.provider)
        events = provider.capabilities.webhook_events
        if events:
            field.help_text = f"{provider.name} sends: {', '.join(events)}."
        else:
            field.disabled = True
            field.initial = self.initial["trigger_webhook"] = False
            field.help_text = f"{provider.name} sends no webhooks: poll it instead."
        detection = provider.capabilities.change_detection
        words = f"{catalogue.POLL_WORDS[detection]} ({detection.words})"
        self.fields["poll_minutes"].help_text = f"{provider.name}: {words}."

    def _offer_object_types(self) -> None:
        kinds = set(ObjectType)
        for connection in (self.source, self.target):
            if connection is not None:
                kinds &= set(get_provider(connection.provider).adapters)
        self.fields["object_type"].choices = [
            (kind.value, OBJECT_WORDS[kind]) for kind in ObjectType if kind in kinds
        ]

    def _offer_delete_policies(self) -> None:
        choices = list(Flow.DeletePolicy.choices)
        if self.target is not None:
            provider = get_provider(self.target.provider)
            if provider.capabilities.delete_mode.value == "deactivate":
                choices[0] = (Flow.DeletePolicy.PROPAGATE, "Deactivate in the target too")
            if not actions.can_archive(self.target.provider):
                choices = [c for c in choices if c[0] != Flow.DeletePolicy.ARCHIVE]
        self.fields["delete_policy"].choices = choices
        self.fields["delete_policy"].initial = Flow.DeletePolicy.IGNORE

    # -- checks ------------------------------------------------------------------------------
    def clean_mapping(self):
        value = self.cleaned_data["mapping"]
        if value == PRESET and self.allow_preset:
            return PRESET
        mapping = next((m for m in self.mappings if str(m.pk) == value), None)
        if mapping is None:
            raise forms.ValidationError("Choose a mapping from the list.")
        return mapping

    def clean_reverse_mapping(self):
        value = self.cleaned_data.get("reverse_mapping") or ""
        if not value:
            return None
        if value == PRESET:
            return PRESET
        mapping = next((m for m in self.mappings if str(m.pk) == value), None)
        if mapping is None:
            raise forms.ValidationError("Choose a mapping back from the list.")
        return mapping

    def clean_field_policies(self):
        text = self.cleaned_data.get("field_policies") or ""
        policies, allowed = {}, set(Flow.ConflictPolicy.values)
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, policy = line.partition("=")
            name, policy = name.strip(), policy.strip().lower()
            if not sep or not name or policy not in allowed:
                raise forms.ValidationError(
                    f"Line {number}: write it as “field = policy”, the policy one of "
                    f"{', '.join(sorted(allowed))}."
                )
            policies[name[:200]] = policy
        return policies

    def clean_actions(self):
        text = self.cleaned_data["actions"].strip()
        if not text:
            return []
        try:
            specs = jsonsafe.loads(text, max_bytes=MAX_ACTIONS_BYTES)
        except jsonsafe.JSONRejected as error:
            raise forms.ValidationError(f"This is not JSON we can read: {error}") from None
        if not isinstance(specs, list):
            raise forms.ValidationError("Write the actions as a list: [ {…}, {…} ].")
        return specs

    def clean(self):
        data = super().clean()
        source, target = data.get("source_connection"), data.get("target_connection")
        mapping = data.get("mapping")
        if not (source and target):
            return data
        pair = (source.provider, target.provider)
        words = f"{get_provider(pair[0]).name} → {get_provider(pair[1]).name}"
        if source.pk == target.pk:
            self.add_error("target_connection", "The target must be another connection.")
            return data
        has_mapping = any(_pair_of(m) == pair for m in self.mappings)
        if not has_preset(*pair) and not has_mapping:
            self.add_error(
                "target_connection",
                f"There is no preset for {words} and this workspace has no mapping for it: "
                "each store syncs with HighLevel, in either direction.",
            )
        elif mapping == PRESET and not has_preset(*pair):
            self.add_error("mapping", f"There is no preset for {words}: choose a mapping.")
        elif isinstance(mapping, Mapping) and _pair_of(mapping) != pair:
            self.add_error(
                "mapping",
                f"“{mapping.name}” maps {_pair_name(mapping)}, but this flow goes {words}. "
                "Choose a mapping for this pair, or a new one from the preset.",
            )
        if data.get("direction") == Flow.Direction.TWO_WAY:
            reverse, back = data.get("reverse_mapping"), (target.provider, source.provider)
            back_words = f"{get_provider(back[0]).name} → {get_provider(back[1]).name}"
            if reverse is None:
                self.add_error(
                    "reverse_mapping",
                    f"A two-way flow writes back through a {back_words} mapping: choose one.",
                )
            elif reverse == PRESET and not has_preset(*back):
                self.add_error("reverse_mapping", f"There is no preset for {back_words}.")
            elif isinstance(reverse, Mapping) and _pair_of(reverse) != back:
                self.add_error(
                    "reverse_mapping",
                    f"“{reverse.name}” maps {_pair_name(reverse)}; the way back is {back_words}.",
                )
        sends_webhooks = get_provider(source.provider).capabilities.sends_webhooks
        if data.get("trigger_webhook") and not sends_webhooks:
            self.add_error("trigger_webhook", "This source sends no webhooks: poll it instead.")
        if data.get("delete_policy") == Flow.DeletePolicy.ARCHIVE and not actions.can_archive(
            target.provider
        ):
            self.add_error("delete_policy", "Only a HighLevel target can archive.")
        if "actions" in data:
            problems = actions.actions_problems(data["actions"], target.provider, source.provider)
            for message in problems:
                self.add_error("actions", message)
        return data

    def add_service_errors(self, error) -> None:
        """A service's ValidationError, each message on its field (or the form's top)."""
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)

    def flow_fields(self) -> dict:
        """The cleaned data as flow_create / flow_update take it."""
        data = dict(self.cleaned_data)
        if data["mapping"] == PRESET:
            data.pop("mapping")
        data["direction"] = data.get("direction") or Flow.Direction.ONE_WAY
        data["conflict_policy"] = data.get("conflict_policy") or Flow.ConflictPolicy.NEWEST
        if data.get("direction") != Flow.Direction.TWO_WAY:
            data["reverse_mapping"] = None
        return data


def flow_initial(flow: Flow) -> dict:
    return {
        "name": flow.name,
        "source_connection": flow.source_connection,
        "target_connection": flow.target_connection,
        "mapping": str(flow.mapping_id),
        "object_type": flow.object_type,
        "trigger_webhook": flow.trigger_webhook,
        "poll_minutes": flow.poll_minutes,
        "schedule_time": flow.schedule_time,
        "schedule_timezone": flow.schedule_timezone,
        "actions": json.dumps(flow.actions, indent=2, ensure_ascii=False) if flow.actions else "",
        "delete_policy": flow.delete_policy,
        "match_by": flow.match_by,
        "direction": flow.direction,
        "reverse_mapping": str(flow.reverse_mapping_id or ""),
        "conflict_policy": flow.conflict_policy,
        "field_policies": "\n".join(f"{k} = {v}" for k, v in (flow.field_policies or {}).items()),
        "reconcile_time": flow.reconcile_time,
        "reconcile_repairs": flow.reconcile_repairs,
    }


def _pair_of(mapping: Mapping) -> tuple[str, str]:
    return mapping.source_provider, mapping.target_provider


def _pair_name(mapping: Mapping) -> str:
    source = get_provider(mapping.source_provider).name
    return f"{source} → {get_provider(mapping.target_provider).name}"
