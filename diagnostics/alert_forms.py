"""The alert rule form: what to watch, the numbers for that kind, where to send notices.

The signing secret is never a field: it is made when the rule is created and shown once
(`alerting.alert_rule_create` returns it). The view passes `cleaned_data` to the services;
the form does not save.
"""

from django import forms

from diagnostics.alerting import KIND_SETTINGS, WINDOW_LABEL, alert_rule_check
from diagnostics.models import AlertRule


def _fields_by_kind() -> dict[str, tuple[str, ...]]:
    fields = {}
    for kind, settings in KIND_SETTINGS.items():
        used = []
        if settings.threshold is not None:
            used.append("threshold")
        if settings.window is not None:
            used.append("window_minutes")
        if kind == AlertRule.Kind.ERROR_RATE:
            used.append("min_calls")
        fields[kind] = tuple(used)
    return fields


# Which number fields each kind uses (a template shows only these for the chosen kind).
FIELDS_BY_KIND = _fields_by_kind()
# What the number means for each kind, with its default and range.
THRESHOLD_HELP = {
    kind: f"{s.threshold_label}; {s.threshold.default} if left empty "
    f"({s.threshold.low:,} to {s.threshold.high:,})"
    for kind, s in KIND_SETTINGS.items()
    if s.threshold is not None
}
WINDOW_HELP = {
    kind: f"{WINDOW_LABEL[kind]}; {s.window.default:,} if left empty "
    f"({s.window.low:,} to {s.window.high:,})"
    for kind, s in KIND_SETTINGS.items()
    if s.window is not None
}


class AlertRuleForm(forms.ModelForm):
    webhook_url = forms.URLField(
        label="Webhook URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=(
            "An https:// address. Each notice is a signed JSON POST; the signing secret is "
            "shown once, when the rule is created."
        ),
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/contactbridge"}),
    )

    class Meta:
        model = AlertRule
        fields = [
            "kind",
            "threshold",
            "window_minutes",
            "min_calls",
            "enabled",
            "email_to",
            "webhook_url",
        ]
        labels = {
            "kind": "Alert when",
            "threshold": "Threshold",
            "window_minutes": "Time window (minutes)",
            "min_calls": "Judge only with at least this many calls",
            "enabled": "On",
            "email_to": "E-mail to",
        }
        help_texts = {
            "threshold": "Leave empty for the default of the kind chosen.",
            "window_minutes": "Leave empty for the default of the kind chosen.",
            "min_calls": "Error rate only: with fewer calls in the window nothing is judged.",
            "email_to": "Addresses separated by commas.",
        }
        widgets = {
            "email_to": forms.TextInput(attrs={"placeholder": "ops@example.com, me@example.com"}),
        }

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["min_calls"].required = False

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if not kind:
            return cleaned
        # Numbers the chosen kind does not use are dropped, not validated.
        for name in ("threshold", "window_minutes", "min_calls"):
            if name not in FIELDS_BY_KIND.get(kind, ()) and name in cleaned:
                cleaned[name] = None
        rule = AlertRule(
            workspace=self.workspace,
            **{name: cleaned.get(name) for name in self.Meta.fields if name in cleaned},
        )
        for field, messages in alert_rule_check(rule).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        # What the services will store: the kind's defaults filled in, addresses tidied.
        for name in ("threshold", "window_minutes", "min_calls", "email_to", "webhook_url"):
            if name in cleaned and name not in self.errors:
                cleaned[name] = getattr(rule, name)
        return cleaned
