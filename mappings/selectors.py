from django.db.models import Count, Q, QuerySet

from accounts.models import Workspace
from mappings.models import Mapping


def mappings_for_workspace(*, workspace: Workspace) -> QuerySet[Mapping]:
    return (
        Mapping.objects.filter(workspace=workspace)
        .select_related("source_connection", "target_connection")
        .annotate(
            test_count=Count("tests", distinct=True),
            failing_test_count=Count("tests", filter=Q(tests__passed=False), distinct=True),
        )
    )
