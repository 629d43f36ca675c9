from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.access import workspace_access
from integrations.selectors import connections_for_workspace


@login_required
def mapping_list(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    context = {
        "connection_count": connections_for_workspace(workspace=membership.workspace).count()
    }
    return render(request, "mappings/mapping_list.html", context)
