"""Flow templates: each builds valid flows (checked by sync's own validation) for every
platform its capabilities allow, refuses the others with the reason, dry-runs end to end on
the sandboxes, and the templates pages as owner, viewer, outsider and anonymous visitor."""

import dataclasses
from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from integrations.providers import registry
from mappings import presets
from mappings.models import Mapping
from sync import actions, catalogue
from sync.actions.specs import valid_actions
from sync.models import Flow, Run
from sync.recipes import RECIPES, platforms, recipe_apply, recipe_get, recipe_problem
from sync.runner import run_execute
from sync.runs import run_start
from sync.services import flow_problems
from sync.views.recipes import CREATED
from tests.factories import ConnectionFactory, MembershipFactory
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL

LOGIN = "/accounts/login/"
# What the providers' capabilities and presets allow today: CS-Cart users have no notes.
REFUSED = {
    ("share-notes", "cscart"): "CS-Cart customers have no notes, so there is nothing to share.",
    ("appointments", "cscart"): "CS-Cart customers have no note field to write it into.",
    ("profile", "cscart"): "CS-Cart customers have no note field to write it into.",
}
SUPPORTED = [
    (recipe.key, platform.key)
    for recipe in RECIPES
    for platform in platforms()
    if (recipe.key, platform.key) not in REFUSED
]


def store(workspace, provider: str, **extra):
    if provider == "ecwid" and not extra:
        return ECWID.make_connection(workspace)
    return ConnectionFactory(workspace=workspace, provider=provider, name=f"{provider} shop")


def apply(key, workspace, owner, shop, highlevel, **extra) -> list[Flow]:
    return recipe_apply(
        recipe_key=key,
        workspace=workspace,
        user=owner,
        store_connection=shop,
        highlevel_connection=highlevel,
        **extra,
    )


def rule_targets(mapping: Mapping) -> set[str]:
    return {rule["target"] for rule in mapping.spec["rules"]}


# --- building -----------------------------------------------------------------------------------
def test_the_support_matrix_is_what_the_capabilities_say():
    refused = {
        (recipe.key, platform.key): recipe_problem(recipe, platform)
        for recipe in RECIPES
        for platform in platforms()
        if recipe_problem(recipe, platform)
    }
    assert refused == REFUSED
    assert len(RECIPES) == 9 and len({r.key for r in RECIPES}) == 9


@pytest.mark.parametrize(("key", "platform"), SUPPORTED)
def test_every_template_builds_a_valid_flow_for_each_platform_it_claims(
    sandboxes, workspace, owner, key, platform
):
    shop = store(workspace, platform)
    highlevel = HIGHLEVEL.make_connection(workspace)
    flows = apply(key, workspace, owner, shop, highlevel, time_zone="Europe/Paris")
    assert len(flows) == 1
    flow = Flow.objects.get(pk=flows[0].pk)
    source_is_highlevel = key in ("mirror-back", "appointments", "profile")
    source, target = (highlevel, shop) if source_is_highlevel else (shop, highlevel)
    assert (flow.source_connection, flow.target_connection) == (source, target)
    assert flow.mode == Flow.Mode.TEST and flow.enabled
    assert shop.name in flow.name
    # Sync's own checks: the flow as saved, and its actions as the runner parses them.
    assert flow_problems(flow) == {}
    assert actions.actions_problems(flow.actions, target.provider, source.provider) == []
    assert len(valid_actions(flow)) == len(flow.actions)
    assert (flow.mapping.source_provider, flow.mapping.target_provider) == (
        source.provider,
        target.provider,
    )
    assert flow.mapping.workspace == workspace and flow.mapping.version == 1
    reader = registry.get_provider(source.provider).capabilities
    types = [a["type"] for a in flow.actions]
    if key == "nightly-reconciliation":
        assert flow.reconcile_time == time(2, 0) and flow.reconcile_repairs
        assert flow.schedule_timezone == "Europe/Paris"
        assert not flow.trigger_webhook and flow.poll_minutes is None
    else:
        assert flow.trigger_webhook == reader.sends_webhooks
        assert flow.poll_minutes in (15, 60)
    if key == "share-notes":
        assert flow.direction == Flow.Direction.TWO_WAY
        assert flow.conflict_policy == Flow.ConflictPolicy.NEWEST
        reverse_mapping = flow.reverse_mapping
        assert (reverse_mapping.source_provider, reverse_mapping.target_provider) == (
            "highlevel",
            platform,
        )
        assert reverse_mapping.workspace == workspace
        assert "notes" in rule_targets(flow.mapping)
    else:
        assert flow.direction == Flow.Direction.ONE_WAY and flow.reverse_mapping is None
    expected_types = {
        "new-customers": ["create_task"],
        "archive-deletes": ["archive"],
        "appointments": ["copy_appointments"],
        "profile": ["enrich"],
        "auto-tag": ["add_tags"] if platform == "cin7" else [],
    }.get(key, [])
    assert types == expected_types
    if key == "new-customers":
        task = flow.actions[0]
        assert task["due_in_days"] == 2 and task["on"] == "created"
    if key == "archive-deletes":
        assert flow.delete_policy == Flow.DeletePolicy.ARCHIVE
        # Shift4Shop reports no deletes (no webhook, no deleted list): found nightly instead.
        nightly = platform == "shift4shop"
        assert flow.reconcile_time == (time(2, 0) if nightly else None)
    else:
        assert flow.delete_policy == Flow.DeletePolicy.IGNORE
    if key == "auto-tag":
        assert "tags" in rule_targets(flow.mapping)
        if platform == "cin7":
            assert flow.actions[0]["tags"] == ["{{PriceTier}}"]
    if key == "business":
        assert "businessId" in rule_targets(flow.mapping)


@pytest.mark.parametrize(("key", "platform"), sorted(REFUSED))
def test_templates_refuse_the_other_platforms_with_the_reason(workspace, owner, key, platform):
    shop = store(workspace, platform)
    highlevel = ConnectionFactory(workspace=workspace, provider="highlevel")
    with pytest.raises(ValidationError) as refused:
        apply(key, workspace, owner, shop, highlevel)
    assert REFUSED[(key, platform)] in refused.value.message_dict["store_connection"][0]
    assert not Flow.objects.exists() and not Mapping.objects.exists()


def test_support_follows_the_capabilities_not_a_list(monkeypatch, workspace, owner):
    """Ecwid without notes loses the notes templates; without any way to report deletes,
    its archive template turns on the nightly comparison instead."""
    ecwid = registry.get_provider("ecwid")
    caps = dataclasses.replace(
        ecwid.capabilities, has_notes=False, webhook_events=(), deleted_feed=False
    )
    monkeypatch.setitem(registry.PROVIDERS, "ecwid", dataclasses.replace(ecwid, capabilities=caps))
    catalogue._static_catalogue.cache_clear()
    try:
        notes = recipe_problem(recipe_get("share-notes"), registry.get_provider("ecwid"))
        assert notes == "Ecwid by Lightspeed customers have no notes, so there is nothing to share."
        plan = recipe_get("archive-deletes").plan(registry.get_provider("ecwid"))
        assert plan.reconcile_time == time(2, 0)
        assert "nightly comparison" in recipe_get("archive-deletes").caveat(
            registry.get_provider("ecwid")
        )
    finally:
        monkeypatch.undo()
        catalogue._static_catalogue.cache_clear()
    assert recipe_get("archive-deletes").plan(registry.get_provider("ecwid")).reconcile_time is None


def test_a_missing_preset_is_refused_with_the_reason(monkeypatch, workspace, owner):
    monkeypatch.delitem(presets.PLATFORMS, "ecwid")
    shop = ConnectionFactory(workspace=workspace, provider="ecwid")
    highlevel = ConnectionFactory(workspace=workspace, provider="highlevel")
    with pytest.raises(ValidationError) as refused:
        apply("new-customers", workspace, owner, shop, highlevel)
    message = refused.value.message_dict["store_connection"][0]
    assert "no preset mapping for Ecwid by Lightspeed → HighLevel" in message
    assert not Flow.objects.exists()


def test_connections_of_the_wrong_system_or_workspace_are_refused(workspace, owner):
    shop = ConnectionFactory(workspace=workspace, provider="ecwid")
    highlevel = ConnectionFactory(workspace=workspace, provider="highlevel")
    foreign = ConnectionFactory(provider="ecwid")
    cases = [
        (highlevel, highlevel, "store_connection", "not HighLevel's"),
        (shop, shop, "highlevel_connection", "Choose a HighLevel connection, not Ecwid"),
        (foreign, highlevel, "store_connection", "Choose a connection of this workspace."),
        (shop, ConnectionFactory(provider="highlevel"), "highlevel_connection", "this workspace"),
        (None, highlevel, "store_connection", "Choose the store's connection."),
    ]
    for store_connection, highlevel_connection, field, words in cases:
        with pytest.raises(ValidationError) as refused:
            apply("new-customers", workspace, owner, store_connection, highlevel_connection)
        assert words in refused.value.message_dict[field][0]
    with pytest.raises(ValidationError, match="There is no flow template"):
        apply("no-such-template", workspace, owner, shop, highlevel)
    with pytest.raises(ValidationError, match="time zone"):
        apply("nightly-reconciliation", workspace, owner, shop, highlevel, time_zone="Mars/Base")
    assert not Flow.objects.exists() and not Mapping.objects.exists()


def test_a_template_used_twice_gets_names_of_its_own(sandboxes, workspace, owner):
    shop = store(workspace, "ecwid")
    highlevel = HIGHLEVEL.make_connection(workspace)
    first = apply("share-notes", workspace, owner, shop, highlevel)[0]
    second = apply("share-notes", workspace, owner, shop, highlevel)[0]
    assert second.name == f"{first.name} (2)"
    names = set(Mapping.objects.values_list("name", flat=True))
    assert len(names) == 4  # two mappings each (one per way), none clashing


# --- end to end: a dry run of every template on the sandboxes -------------------------------------
def _writes(stats: dict) -> int:
    return sum(
        count
        for route, count in stats.get("requests_by_route", {}).items()
        if not route.startswith(("GET", "POST /contacts/search"))
    )


@pytest.mark.parametrize("key", [recipe.key for recipe in RECIPES])
def test_every_template_dry_runs_on_the_sandboxes(sandboxes, workspace, owner, key):
    """Both ways: Ecwid → HighLevel templates and HighLevel → Ecwid ones; a dry run reads
    both systems and writes to neither."""
    shop, highlevel = ECWID.make_connection(workspace), HIGHLEVEL.make_connection(workspace)
    flow = apply(key, workspace, owner, shop, highlevel)[0]
    before = HIGHLEVEL._control("GET", "")["stats"]
    run = run_execute(run_id=run_start(flow=flow, trigger=Run.Trigger.MANUAL).pk)
    assert run.dry_run and run.status == Run.Status.SUCCEEDED, run.message
    assert run.failed == 0 and run.processed >= ECWID.seeded
    assert _writes(HIGHLEVEL._control("GET", "")["stats"]) == _writes(before)
    assert not flow.links.exists() and not flow.cursors.exists()


# --- the pages ----------------------------------------------------------------------------------
def list_url(workspace):
    return reverse("sync:recipe-list", args=[workspace.pk])


def apply_url(workspace, key="share-notes"):
    return reverse("sync:recipe-apply", args=[workspace.pk, key])


@pytest.fixture
def shops(sandboxes, workspace):
    """An Ecwid store (every template), a CS-Cart one (no notes) and HighLevel."""
    ecwid = ECWID.make_connection(workspace)
    cscart = ConnectionFactory(workspace=workspace, provider="cscart", name="Cart shop")
    return ecwid, cscart, HIGHLEVEL.make_connection(workspace)


def test_the_list_explains_each_template_and_which_connections_it_can_use(
    owner_client, workspace, shops
):
    ecwid, _cscart, _highlevel = shops
    page = owner_client.get(list_url(workspace)).content.decode()
    for recipe in RECIPES:
        assert recipe.title in page and apply_url(workspace, recipe.key) in page
    assert "Every new customer in the store becomes a HighLevel contact" in page
    notes = page.split('id="template-share-notes"')[1].split("</article>")[0]
    assert "Cart shop" in notes and "Cannot use" in notes
    assert "CS-Cart customers have no notes, so there is nothing to share." in notes
    assert "Can use</span> " + ecwid.name in notes


def test_viewers_see_the_list_but_cannot_use_a_template(client, workspace, shops):
    viewer = MembershipFactory(workspace=workspace, role="viewer").user
    client.force_login(viewer)
    page = client.get(list_url(workspace))
    assert page.status_code == 200 and "Notes both ways" in page.content.decode()
    assert apply_url(workspace) not in page.content.decode()
    ecwid, _cscart, highlevel = shops
    data = {"store_connection": ecwid.pk, "highlevel_connection": highlevel.pk}
    assert client.get(apply_url(workspace)).status_code == 403
    assert client.post(apply_url(workspace), data).status_code == 403
    assert not Flow.objects.exists()


def test_outsiders_get_404_and_anonymous_visitors_sign_in(client, outsider, workspace, shops):
    for address in (list_url(workspace), apply_url(workspace)):
        response = client.get(address)
        assert response.status_code == 302 and response.url.startswith(LOGIN)
        assert client.post(address).url.startswith(LOGIN)
    client.force_login(outsider)
    for address in (list_url(workspace), apply_url(workspace)):
        assert client.get(address).status_code == 404
        assert client.post(address).status_code == 404
    assert not Flow.objects.exists()


def test_the_form_offers_only_this_workspaces_compatible_connections(
    owner_client, workspace, shops
):
    ecwid, _cscart, highlevel = shops
    ConnectionFactory(provider="ecwid", name="Someone else's shop")
    form = owner_client.get(apply_url(workspace)).context["form"]
    assert list(form.fields["store_connection"].queryset) == [ecwid]
    assert list(form.fields["highlevel_connection"].queryset) == [highlevel]
    assert "time_zone" not in form.fields  # only templates with a time ask for it
    page = owner_client.get(apply_url(workspace, "nightly-reconciliation"))
    assert "time_zone" in page.context["form"].fields
    assert owner_client.get(apply_url(workspace, "no-such-template")).status_code == 404


def test_posting_the_form_creates_the_flow_in_test_mode_and_opens_it(
    owner_client, workspace, shops
):
    ecwid, _cscart, highlevel = shops
    data = {"store_connection": ecwid.pk, "highlevel_connection": highlevel.pk}
    response = owner_client.post(apply_url(workspace, "business"), data, follow=True)
    flow = Flow.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "sync:flow-detail", args=[workspace.pk, flow.pk]
    )
    (message,) = [str(m) for m in response.context["messages"]]
    assert message.startswith(CREATED) and "fill in the mapping's table" in message
    assert CREATED in response.content.decode()
    assert flow.mode == Flow.Mode.TEST and flow.source_connection == ecwid


def test_an_incompatible_connection_is_refused_by_the_form(owner_client, workspace, shops):
    _ecwid, cscart, highlevel = shops
    data = {"store_connection": cscart.pk, "highlevel_connection": highlevel.pk}
    response = owner_client.post(apply_url(workspace), data)
    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["form"].errors)
    empty = owner_client.post(apply_url(workspace), {})
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    assert not Flow.objects.exists() and not Mapping.objects.exists()
