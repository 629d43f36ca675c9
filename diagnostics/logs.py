"""The Diagnostics logs: runs, API calls and webhook deliveries of one workspace, filtered
and paged. Query strings are untrusted: a filter value that is not one of the choices is
ignored (the page says which filters are on), never an error.

The API call log can hold millions of rows, so it is paged by key (older than the last row
shown, on the (workspace, -at) index) and never counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Workspace
from diagnostics.models import ApiCall
from integrations.calls import ERROR_KINDS
from integrations.models import Connection, WebhookEventTarget
from sync.models import Flow, Run

PER_PAGE = 50
PERIODS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}


def _choice(value, allowed) -> str:
    value = str(value or "")
    return value if value in allowed else ""


def _id(value, allowed_ids: set[int]) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and int(text) in allowed_ids else None


# --- runs ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunFilters:
    status: str = ""
    flow_id: int | None = None
    period: str = ""
    flows: tuple = ()  # (id, name) choices

    @classmethod
    def from_query(cls, query, *, workspace: Workspace) -> RunFilters:
        flows = tuple(
            Flow.objects.filter(workspace=workspace).order_by("name").values_list("pk", "name")
        )
        return cls(
            status=_choice(query.get("status"), Run.Status.values),
            flow_id=_id(query.get("flow"), {pk for pk, _ in flows}),
            period=_choice(query.get("period"), PERIODS),
            flows=flows,
        )

    @property
    def statuses(self):
        return Run.Status.choices

    @property
    def periods(self):
        return tuple(PERIODS)


def runs_page(*, workspace: Workspace, filters: RunFilters, page=None, now=None) -> Page:
    runs: QuerySet[Run] = Run.objects.filter(flow__workspace=workspace).select_related("flow")
    if filters.status:
        runs = runs.filter(status=filters.status)
    if filters.flow_id:
        runs = runs.filter(flow_id=filters.flow_id)
    if filters.period:
        runs = runs.filter(queued_at__gte=(now or timezone.now()) - PERIODS[filters.period])
    return Paginator(runs.order_by("-queued_at", "-pk"), PER_PAGE).get_page(page)


# --- API calls -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CallFilters:
    connection_id: int | None = None
    outcome: str = ""  # "", "ok", "errors" or an error kind
    method: str = ""
    before: tuple[datetime, int] | None = None  # the last row of the previous page
    connections: tuple = ()

    OUTCOMES = ("ok", "errors", *ERROR_KINDS)
    METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

    @classmethod
    def from_query(cls, query, *, workspace: Workspace) -> CallFilters:
        connections = tuple(
            Connection.objects.finished()
            .filter(workspace=workspace)
            .order_by("name")
            .values_list("pk", "name")
        )
        return cls(
            connection_id=_id(query.get("connection"), {pk for pk, _ in connections}),
            outcome=_choice(query.get("outcome"), cls.OUTCOMES),
            method=_choice(str(query.get("method") or "").upper(), cls.METHODS),
            before=_cursor(query.get("before")),
            connections=connections,
        )

    def query(self, **changes) -> str:
        """This filter's query string, with `changes` (None drops a key)."""
        from urllib.parse import urlencode

        values = {
            "connection": self.connection_id or "",
            "outcome": self.outcome,
            "method": self.method,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _cursor(value) -> tuple[datetime, int] | None:
    """`<epoch microseconds>-<pk>` as the next page's starting point; anything else: none."""
    text = str(value or "")
    micros, _, pk = text.partition("-")
    if not (micros.isdigit() and pk.isdigit()):
        return None
    try:
        moment = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment, int(pk)


def cursor_of(call: ApiCall) -> str:
    return f"{int(call.at.timestamp() * 1_000_000)}-{call.pk}"


@dataclass
class CallPage:
    calls: list[ApiCall]
    next_cursor: str  # "" when this is the last page


def calls_page(*, workspace: Workspace, filters: CallFilters) -> CallPage:
    calls = ApiCall.objects.filter(workspace=workspace).select_related("connection")
    if filters.connection_id:
        calls = calls.filter(connection_id=filters.connection_id)
    if filters.outcome == "ok":
        calls = calls.filter(error_kind="")
    elif filters.outcome == "errors":
        calls = calls.exclude(error_kind="")
    elif filters.outcome:
        calls = calls.filter(error_kind=filters.outcome)
    if filters.method:
        calls = calls.filter(method=filters.method)
    if filters.before:
        moment, pk = filters.before
        calls = calls.filter(Q(at__lt=moment) | Q(at=moment, pk__lt=pk))
    rows = list(calls.order_by("-at", "-pk")[: PER_PAGE + 1])
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    return CallPage(rows, cursor_of(rows[-1]) if more and rows else "")


# --- webhook inbox -------------------------------------------------------------------------------
@dataclass(frozen=True)
class InboxFilters:
    status: str = ""

    @classmethod
    def from_query(cls, query) -> InboxFilters:
        return cls(status=_choice(query.get("status"), WebhookEventTarget.Status.values))

    @property
    def statuses(self):
        return WebhookEventTarget.Status.choices


def inbox_page(*, workspace: Workspace, filters: InboxFilters, page=None) -> Page:
    """Every stored (so verified) delivery for the workspace's connections, newest first:
    what each meant to the connection, how often it was re-delivered, and how it ended."""
    rows = WebhookEventTarget.objects.filter(connection__workspace=workspace).select_related(
        "event", "connection"
    )
    if filters.status:
        rows = rows.filter(status=filters.status)
    return Paginator(rows.order_by("-created_at", "-pk"), PER_PAGE).get_page(page)
