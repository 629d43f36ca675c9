from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.access import workspace_access
from alerts.selectors import open_alerts
from diagnostics.selectors import connection_status_counts, worker_status


@login_required
def dashboard(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    context = {
        "worker": worker_status(),
        "connection_counts": connection_status_counts(workspace=membership.workspace),
        "alerts": open_alerts(workspace=membership.workspace)[:50],
    }
    return render(request, "diagnostics/dashboard.html", context)


def health(request):
    """Public liveness check for load balancers: answers 200 only if the database does."""
    from django.db import connection
    from django.http import JsonResponse

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
