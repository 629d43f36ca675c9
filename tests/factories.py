import factory
from django.utils import timezone

from accounts.models import Membership, Role, User, Workspace
from integrations.models import Connection

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection
        skip_postgeneration_save = True

    workspace = factory.SubFactory(WorkspaceFactory)
    provider = "ecwid"
    name = factory.Sequence(lambda n: f"Store {n}")
    settings = factory.LazyFunction(lambda: {"store_id": "1003"})

    @factory.post_generation
    def credentials(obj, create, extracted, **kwargs):
        obj.set_credentials(
            extracted if extracted is not None else {"secret_token": "secret_abc123XYZ"}
        )
        if create:
            obj.save()


class MappingFactory(factory.django.DjangoModelFactory):
    """A stored mapping (its spec as given; no versions, no checks: mapping_create does those)."""

    class Meta:
        model = "mappings.Mapping"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Mapping {n}")
    source_provider = "ecwid"
    target_provider = "highlevel"
    spec = factory.LazyFunction(lambda: {"rules": []})


class FlowFactory(factory.django.DjangoModelFactory):
    """A live flow between two connections of one workspace, with a mapping for the pair."""

    class Meta:
        model = "sync.Flow"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Flow {n}")
    source_connection = factory.SubFactory(
        ConnectionFactory, workspace=factory.SelfAttribute("..workspace")
    )
    target_connection = factory.SubFactory(
        ConnectionFactory,
        workspace=factory.SelfAttribute("..workspace"),
        provider="highlevel",
        settings={"location_id": "loc1"},
        credentials={"private_integration_token": "pit-test"},
    )
    mapping = factory.SubFactory(
        MappingFactory,
        workspace=factory.SelfAttribute("..workspace"),
        source_provider=factory.SelfAttribute("..source_connection.provider"),
        target_provider=factory.SelfAttribute("..target_connection.provider"),
    )
    mode = "live"
    trigger_webhook = False
    actions = factory.LazyFunction(list)


class RunFactory(factory.django.DjangoModelFactory):
    """A finished run of a flow (a dry run unless told); pass status="running" and
    in_flight=True for one in progress."""

    class Meta:
        model = "sync.Run"

    flow = factory.SubFactory(FlowFactory)
    trigger = "manual"
    dry_run = True
    status = "succeeded"
    in_flight = False
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)
