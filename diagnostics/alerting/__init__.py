"""Alert rules: what a workspace wants to hear about, checked by a beat task.

`alert_rules_evaluate()` reads, for every enabled rule, which subjects (a flow, a connection)
are in breach now, with a fixed number of queries per rule (aggregates, never a query per
flow or record). The decision per kind is a small pure function over plain rows
(`*_breaches`), tested without the database. Then, per subject:

- a new breach opens an incident: one notice per channel (AlertDelivery rows, sent by
  `diagnostics.notify`) and an alert on the dashboard (alerts.Alert);
- a breach that lasts keeps its incident open and only updates its value: no new notice,
  however often the rules are evaluated (no alert storms);
- a breach that is gone resolves the incident: one "resolved" notice per channel that was
  told, and the dashboard alert is resolved.

Runs failing in a row are the one kind with a consequence: one failure short of the
threshold a warning goes out ("the next failure pauses this flow"), and at the threshold the
flow is paused through sync's own service, with a reason that says why and how to resume.

The modules, each importing only those above it:

- kinds.py: each kind's threshold and window (default, bounds, meaning) and advice;
- breaches.py: the pure per-kind decisions (no Django);
- detectors.py: the queries that feed them, one per kind;
- incidents.py: opening, keeping, escalating and resolving incidents, their notices and
  the pause;
- rules.py: the rule services (check, create, update, delete, rotate the secret).

Callers import from here, not from the modules.
"""

from diagnostics.alerting.breaches import (
    DAILY_LIMIT_HEADER,
    DAILY_REMAINING_HEADER,
    Breach,
    daily_budget_breaches,
    error_rate_breaches,
    failed_runs_breaches,
    lag_breaches,
    mapping_drift_breaches,
    run_stuck_breaches,
    token_refresh_breaches,
)
from diagnostics.alerting.detectors import DETECTORS
from diagnostics.alerting.incidents import alert_rules_evaluate
from diagnostics.alerting.kinds import KIND_SETTINGS, WINDOW_LABEL, Bounds, KindSettings
from diagnostics.alerting.rules import (
    MAX_EMAIL_RECIPIENTS,
    RULE_FIELDS,
    alert_rule_check,
    alert_rule_create,
    alert_rule_delete,
    alert_rule_problems,
    alert_rule_secret_rotate,
    alert_rule_update,
    email_addresses,
    webhook_url_problem,
)

__all__ = [
    "DAILY_LIMIT_HEADER",
    "DAILY_REMAINING_HEADER",
    "DETECTORS",
    "KIND_SETTINGS",
    "MAX_EMAIL_RECIPIENTS",
    "RULE_FIELDS",
    "WINDOW_LABEL",
    "Bounds",
    "Breach",
    "KindSettings",
    "alert_rule_check",
    "alert_rule_create",
    "alert_rule_delete",
    "alert_rule_problems",
    "alert_rule_secret_rotate",
    "alert_rule_update",
    "alert_rules_evaluate",
    "daily_budget_breaches",
    "email_addresses",
    "error_rate_breaches",
    "failed_runs_breaches",
    "lag_breaches",
    "mapping_drift_breaches",
    "run_stuck_breaches",
    "token_refresh_breaches",
    "webhook_url_problem",
]
