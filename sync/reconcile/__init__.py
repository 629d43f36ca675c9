"""Reconciliation: both sides of a flow read completely and compared, the drift written to a
report (only in the source, only in the target, fields differ) and repaired through the
runner per the flow's policies, or only reported.

    report = reconcile_flow(flow=flow)                 # report.py: read, compare, repair
    run = drift_resync(report=report, item_ids=[...])  # repair.py: a targeted re-sync
    flow_ids = flows_reconcile_due()                   # nightly.py: the beat's claim

compare.py holds the comparison itself (pure).
"""

from sync.reconcile.nightly import flows_reconcile_due, reconcile_run
from sync.reconcile.repair import (
    ReconcileRefused,
    drift_resync,
    drift_resync_by_id,
    repairable,
    resync_refusal,
)
from sync.reconcile.report import drift_report_running, reconcile_flow

__all__ = [
    "ReconcileRefused",
    "drift_report_running",
    "drift_resync",
    "drift_resync_by_id",
    "flows_reconcile_due",
    "reconcile_flow",
    "reconcile_run",
    "repairable",
    "resync_refusal",
]
