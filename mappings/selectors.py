from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from accounts.models import Workspace
from integrations.models import Connection
from mappings.models import Mapping
from mappings.presets import PLATFORMS

CRM = "highlevel"  # every preset maps a store to or from HighLevel


def mappings_for_workspace(*, workspace: Workspace) -> QuerySet[Mapping]:
    return (
        Mapping.objects.filter(workspace=workspace)
        .select_related("source_connection", "target_connection")
        .annotate(
            test_count=Count("tests", distinct=True),
            failing_test_count=Count("tests", filter=Q(tests__passed=False), distinct=True),
        )
    )


def connections_for_mappings(*, workspace: Workspace) -> QuerySet[Connection]:
    """The connections a mapping may use: the workspace's own, not the wizard's drafts."""
    return Connection.objects.finished().filter(workspace=workspace)


@dataclass
class NewMappingStart:
    """Where "New mapping" starts: the workspace's first store and HighLevel connection (the
    pair the presets are made for), else what is missing, so the page can say so."""

    source_provider: str
    target_provider: str = CRM
    source_connection: Connection | None = None
    target_connection: Connection | None = None

    @property
    def has_store(self) -> bool:
        return self.source_connection is not None

    @property
    def has_crm(self) -> bool:
        return self.target_connection is not None


def new_mapping_start(*, workspace: Workspace) -> NewMappingStart:
    connections = list(connections_for_mappings(workspace=workspace).order_by("created_at", "pk"))
    # Working connections first; then the oldest, which is the one set up for this.
    connections.sort(key=lambda c: c.status != Connection.Status.CONNECTED)
    store = next((c for c in connections if c.provider in PLATFORMS), None)
    crm = next((c for c in connections if c.provider == CRM), None)
    return NewMappingStart(
        source_provider=store.provider if store else next(iter(PLATFORMS)),
        source_connection=store,
        target_connection=crm,
    )
