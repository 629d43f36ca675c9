from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from accounts.models import Workspace
from diagnostics.models import WorkerHeartbeat

# Beat records a heartbeat every 60 s; three missed beats means the worker is gone.
WORKER_STALE_AFTER = timedelta(minutes=3)


def worker_status() -> dict:
    latest = WorkerHeartbeat.objects.order_by("-last_seen_at").first()
    if latest is None:
        return {"state": "never", "last_seen_at": None, "hostname": None}
    stale = timezone.now() - latest.last_seen_at > WORKER_STALE_AFTER
    return {
        "state": "stale" if stale else "ok",
        "last_seen_at": latest.last_seen_at,
        "hostname": latest.hostname,
    }


def connection_status_counts(*, workspace: Workspace) -> list[dict]:
    return list(
        workspace.connections.filter(is_draft=False)
        .values("status")
        .annotate(count=Count("pk"))
        .order_by("status")
    )
