"""The flow form's two-way settings: the mapping back (new from the preset, or one of the
workspace's for the reversed pair), the conflict policies and nightly reconciliation."""

from django.urls import reverse

from mappings.models import Mapping
from sync.models import Flow
from tests.factories import ConnectionFactory, FlowFactory, MappingFactory
from tests.sync.conftest import form_data


def _new(workspace):
    return reverse("sync:flow-new", args=[workspace.pk])


def test_a_two_way_flow_gets_its_mapping_back_from_the_preset(owner_client, workspace, pair):
    forward = MappingFactory(workspace=workspace)
    data = form_data(
        *pair,
        forward,
        direction="two_way",
        reverse_mapping="preset",
        conflict_policy="review",
        field_policies="lastName = source\n\nemail=target",
        reconcile_time="02:00",
        reconcile_repairs="on",
    )
    response = owner_client.post(_new(workspace), data)
    assert response.status_code == 302, response.context["form"].errors
    flow = Flow.objects.get(name="Shop customers")
    assert flow.direction == "two_way" and flow.conflict_policy == "review"
    back = flow.reverse_mapping
    assert (back.source_provider, back.target_provider) == ("highlevel", "ecwid")
    assert back.spec["rules"]  # started from the HighLevel → Ecwid preset
    assert flow.field_policies == {"lastName": "source", "email": "target"}
    assert str(flow.reconcile_time) == "02:00:00" and flow.reconcile_repairs


def test_two_way_needs_a_mapping_back_of_the_reversed_pair(owner_client, workspace, pair):
    forward = MappingFactory(workspace=workspace)
    missing = owner_client.post(_new(workspace), form_data(*pair, forward, direction="two_way"))
    assert "writes back through a HighLevel → Ecwid" in str(missing.context["form"].errors)
    same_way = MappingFactory(workspace=workspace, name="Also forward")
    wrong = owner_client.post(
        _new(workspace),
        form_data(*pair, forward, direction="two_way", reverse_mapping=str(same_way.pk)),
    )
    assert "the way back is HighLevel → Ecwid" in str(wrong.context["form"].errors)
    assert not Flow.objects.exists()
    assert Mapping.objects.count() == 2  # nothing half-made


def test_bad_field_policies_say_how_to_write_them(owner_client, workspace, pair):
    forward = MappingFactory(workspace=workspace)
    response = owner_client.post(
        _new(workspace),
        form_data(*pair, forward, direction="two_way", reverse_mapping="preset",
                  field_policies="lastName: source"),
    )  # fmt: skip
    assert "Line 1: write it as “field = policy”" in str(response.context["form"].errors)
    assert not Flow.objects.exists()


def test_one_way_forgets_a_mapping_back(owner_client, workspace):
    source = ConnectionFactory(workspace=workspace, name="Shop")
    flow = FlowFactory(workspace=workspace, source_connection=source)
    back = MappingFactory(
        workspace=workspace, source_provider="highlevel", target_provider=source.provider
    )
    flow.direction, flow.reverse_mapping = "two_way", back
    flow.save()
    data = form_data(flow.source_connection, flow.target_connection, flow.mapping)
    data["name"] = flow.name
    response = owner_client.post(reverse("sync:flow-edit", args=[workspace.pk, flow.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    flow.refresh_from_db()
    assert flow.direction == "one_way" and flow.reverse_mapping is None
