"""The catalogue of triggers and actions: searchable by text, filtered by provider and kind;
htmx swaps the results as one types, and every filter is a plain link without it."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.access import workspace_access
from integrations.providers.registry import all_providers
from sync import catalogue

TEMPLATE = "sync/catalogue.html"
MAX_QUERY = 200


def _link(q: str, provider: str, kind: str) -> str:
    params = {k: v for k, v in (("q", q), ("provider", provider), ("kind", kind)) if v}
    return "?" + urlencode(params) if params else "?"


@login_required
def catalogue_page(request, workspace_id):
    workspace_access(request, workspace_id)
    q = request.GET.get("q", "")[:MAX_QUERY]
    providers = {p.key: p.name for p in all_providers()}
    provider = request.GET.get("provider", "")
    provider = provider if provider in providers else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in dict(catalogue.KINDS) else ""
    entries = catalogue.search(q, provider=provider, kind=kind)
    context = {
        "q": q,
        "provider": provider,
        "kind": kind,
        "groups": catalogue.grouped(entries),
        "count": len(entries),
        "provider_links": [
            (key, name, _link(q, key, kind), key == provider) for key, name in providers.items()
        ],
        "kind_links": [
            (key, label, _link(q, provider, key), key == kind) for key, label in catalogue.KINDS
        ],
        "all_providers_link": _link(q, "", kind),
        "all_kinds_link": _link(q, provider, ""),
    }
    if request.htmx and request.htmx.target == "catalogue-results":
        return render(request, f"{TEMPLATE}#catalogue-results", context)
    return render(request, TEMPLATE, context)
