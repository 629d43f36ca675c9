import factory

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
