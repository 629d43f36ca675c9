"""One linked record of a flow: why it looks as it does ("why did this change?"). Per side,
each field's last synced value with the run that wrote it, when and under which mapping
version; the record's recent run items either way; its open conflicts."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from sync import conflicts
from sync.models import RecordLink
from sync.views import flow_for_user


@login_required
def link_detail(request, workspace_id, flow_id, link_id):
    flow = flow_for_user(request, workspace_id, flow_id)
    try:
        link = conflicts.link_for_flow(flow=flow, link_id=link_id)
    except RecordLink.DoesNotExist:
        raise Http404("No such record in this flow.") from None
    context = {
        "flow": flow,
        "link": link,
        "provenance": conflicts.link_provenance(link=link),
        "items": conflicts.link_run_items(link=link),
        "link_conflicts": conflicts.link_open_conflicts(link=link),
    }
    return render(request, "sync/link_detail.html", context)
