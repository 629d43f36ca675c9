"""Flow templates ("recipes": `templates/` is Django's folder): one click creates the flow
for a common use case, with its trigger, actions, delete policy, direction and preset
mapping(s), in test mode (dry runs first).

Which platforms a template works for is decided from what each provider says about itself
(its `Capabilities`, its catalogue of triggers, the presets and the actions' own checks), so
a new platform is offered every template its capabilities allow, and refused the others
with a sentence saying why.

    recipe_problem(recipe, provider)      # "" when it works for that platform
    recipe_apply(recipe_key=..., workspace=..., user=..., store_connection=...,
                 highlevel_connection=...) -> [Flow]
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Workspace
from integrations.models import Connection
from integrations.providers.base import Provider
from integrations.providers.capabilities import ChangeDetection
from integrations.providers.registry import all_providers, get_provider
from mappings.presets import PresetNotFound, load_preset
from sync import actions, catalogue, services
from sync.actions.specs import HIGHLEVEL
from sync.models import Flow

NIGHTLY = time(2, 0)
ARCHIVE = {
    "type": "archive",
    "tag": "archived",
    "tasks": "complete",
    "note": "Archived: deleted in {{source}} on {{date}}",
}
# Attributes a platform keeps beside its groups that make good tags; a field's name is data
# no capability carries. Each must be in the provider's field catalogue (tests check).
TAG_ATTRIBUTES = {"cin7": ("PriceTier",)}


@dataclass(frozen=True)
class FlowPlan:
    """One flow a template creates, in terms of the store and HighLevel."""

    label: str  # what the flow does, for its name ("New customers")
    from_highlevel: bool = False  # HighLevel → store; otherwise store → HighLevel
    two_way: bool = False  # also back, through the reverse preset
    actions: tuple[dict, ...] = ()
    delete_policy: str = Flow.DeletePolicy.IGNORE
    reconcile_time: time | None = None
    # False: started only by the nightly reconciliation (and "Run now").
    live_triggers: bool = True


@dataclass(frozen=True)
class Recipe:
    key: str
    title: str
    explanation: str  # "{store}" is the store's system or connection
    plan: Callable[[Provider], FlowPlan]
    # Why it cannot work with this platform, beyond the presets ("" when it can).
    why_not: Callable[[Provider], str] = lambda platform: ""
    # What to do after creating it for this platform ("" when nothing).
    caveat: Callable[[Provider], str] = lambda platform: ""
    uses_time_zone: bool = False

    def explain(self, store: str = "the store") -> str:
        return self.explanation.format(store=store)

    def build(
        self,
        workspace: Workspace,
        user,
        store_connection: Connection,
        highlevel_connection: Connection,
        *,
        time_zone: str = "UTC",
    ) -> list[Flow]:
        """The template's flow for these two connections, in test mode (ValidationError
        naming the field when a connection does not fit)."""
        _check_connections(self, workspace, store_connection, highlevel_connection)
        store, highlevel = store_connection, highlevel_connection
        plan = self.plan(get_provider(store.provider))
        source, target = (highlevel, store) if plan.from_highlevel else (store, highlevel)
        reader = get_provider(source.provider)
        fields = {
            "name": _free_flow_name(workspace, f"{plan.label}: {store.name}"),
            "source_connection": source,
            "target_connection": target,
            "trigger_webhook": plan.live_triggers and reader.capabilities.sends_webhooks,
            "poll_minutes": _poll_minutes(reader) if plan.live_triggers else None,
            "schedule_timezone": time_zone,
            "actions": list(plan.actions),
            "delete_policy": plan.delete_policy,
            "reconcile_time": plan.reconcile_time,
        }
        if plan.two_way:  # the way back through a new mapping from its own preset
            fields["direction"] = Flow.Direction.TWO_WAY
            fields["conflict_policy"] = Flow.ConflictPolicy.NEWEST
            fields["reverse_mapping"] = "preset"
        return [services.flow_create_with_mappings(workspace=workspace, user=user, **fields)]


# --- what a platform can do -----------------------------------------------------------------
def platforms() -> list[Provider]:
    """Every system a store flow can run against: all but HighLevel."""
    return [p for p in all_providers() if p.key != HIGHLEVEL]


def _preset(source: str, target: str) -> dict | None:
    try:
        return load_preset(source, target)
    except PresetNotFound:
        return None


def _rules(source: str, target: str) -> list[dict]:
    preset = _preset(source, target)
    return preset["rules"] if preset else []


def _writes(platform: Provider, target_field: str) -> dict | None:
    """The platform → HighLevel preset's rule writing that HighLevel field, if any."""
    return next((r for r in _rules(platform.key, HIGHLEVEL) if r["target"] == target_field), None)


def _reads_back(platform: Provider, source_field: str) -> dict | None:
    """The HighLevel → platform preset's rule reading that HighLevel field, if any."""
    rules = _rules(HIGHLEVEL, platform.key)
    return next((r for r in rules if (r["source"] or {}).get("value") == source_field), None)


def _needs_table(rule: dict | None) -> bool:
    """A rule whose value map is still empty: it is skipped until the user fills it in."""
    return any(
        step["name"] == "value_map" and not step["args"].get("table")
        for step in (rule or {}).get("transforms", [])
    )


def _reports(platform: Provider, *verbs: str) -> bool:
    """Whether any trigger of the catalogue tells of a customer being one of `verbs`."""
    return any(
        entry.key.rpartition(".")[2] in verbs for entry in catalogue.triggers_for(platform.key)
    )


def _needs_presets(recipe: Recipe, platform: Provider) -> list[tuple[str, str]]:
    plan = recipe.plan(platform)
    forward = (HIGHLEVEL, platform.key) if plan.from_highlevel else (platform.key, HIGHLEVEL)
    return [forward, forward[::-1]] if plan.two_way else [forward]


def recipe_problem(recipe: Recipe, platform: Provider) -> str:
    """Why the template does not work with this platform, in a sentence ("" when it does)."""
    if platform.key == HIGHLEVEL:
        return "It joins a store to HighLevel: choose the store's connection."
    for source, target in _needs_presets(recipe, platform):
        if _preset(source, target) is None:
            words = f"{get_provider(source).name} → {get_provider(target).name}"
            return f"There is no preset mapping for {words} to start it from."
    return recipe.why_not(platform)


def _actions_problem(platform: Provider, specs: tuple[dict, ...], from_highlevel: bool) -> str:
    source, target = (HIGHLEVEL, platform.key) if from_highlevel else (platform.key, HIGHLEVEL)
    problems = actions.actions_problems(list(specs), target, source)
    if not problems:
        return ""
    # "Action 1 (enrich): this flow cannot do it: <why>" -> "<why>", capitalised.
    why = problems[0].partition("this flow cannot do it: ")[2] or problems[0]
    return why[:1].upper() + why[1:]


# --- the templates --------------------------------------------------------------------------
def _welcome(platform: Provider) -> tuple[dict, ...]:
    task = {
        "type": "create_task",
        "title": "Welcome {{firstName}} {{lastName}}",
        "body": f"A new {platform.name} customer: say hello.",
        "due_in_days": 2,
        "on": "created",
    }
    return (task,)


def _tag_actions(platform: Provider) -> tuple[dict, ...]:
    fields = {spec.path for spec in platform.field_catalogue(None)}
    tags = ["{{" + name + "}}" for name in TAG_ATTRIBUTES.get(platform.key, ()) if name in fields]
    return ({"type": "add_tags", "tags": tags, "on": "always"},) if tags else ()


def _tags_why_not(platform: Provider) -> str:
    caps = platform.capabilities
    if not (caps.has_groups or caps.has_tags):
        return f"{platform.name} customers have neither groups nor tags to tag contacts from."
    if _writes(platform, "tags") is None and not _tag_actions(platform):
        return f"The {platform.name} preset maps nothing to HighLevel tags."
    return ""


def _tags_caveat(platform: Provider) -> str:
    if _needs_table(_writes(platform, "tags")):
        return (
            f"{platform.name} gives group ids, not names: fill in the mapping's table of "
            "groups → tags; until then the group tag is skipped, with that reason shown."
        )
    return ""


def _deletes_plan(platform: Provider) -> FlowPlan:
    # Without a delete webhook, a deleted feed or a full comparison, deletes are found only
    # by the nightly reconciliation (never guessed from a partial read).
    seen = _reports(platform, "deleted", "deactivated")
    return FlowPlan(
        "Deletes archived",
        actions=(ARCHIVE,),
        delete_policy=Flow.DeletePolicy.ARCHIVE,
        reconcile_time=None if seen else NIGHTLY,
    )


def _deletes_caveat(platform: Provider) -> str:
    if _reports(platform, "deleted", "deactivated"):
        return ""
    return (
        f"{platform.name} tells no one about deletes (no webhook, no list of deleted "
        "customers): they are found by a nightly comparison at 02:00 (the flow's time zone), "
        "so archiving waits until then."
    )


def _notes_why_not(platform: Provider) -> str:
    if not platform.capabilities.has_notes:
        return f"{platform.name} customers have no notes, so there is nothing to share."
    if _writes(platform, "notes") is None or _reads_back(platform, "notes") is None:
        return f"The {platform.name} presets do not map notes both ways."
    return ""


def _business_why_not(platform: Provider) -> str:
    if _writes(platform, "businessId") is None:
        return f"The {platform.name} preset maps no company or group to a HighLevel business."
    return ""


def _business_caveat(platform: Provider) -> str:
    return (
        "Business ids differ per HighLevel account: fill in the mapping's table of "
        f"{platform.name} companies → HighLevel businesses; until then each record says the "
        "table has no entry for it."
    )


APPOINTMENTS = ({"type": "copy_appointments", "on": "always"},)
PROFILE = ({"type": "enrich", "on": "always"},)

RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "new-customers",
        "New customers into HighLevel",
        "Every new customer in {store} becomes a HighLevel contact, with a welcome task "
        "due 2 days later.",
        lambda p: FlowPlan("New customers", actions=_welcome(p)),
    ),
    Recipe(
        "mirror-back",
        "HighLevel updates back to the store",
        "A contact changed in HighLevel updates the matching customer in {store} (by e-mail, "
        "then phone), or creates one.",
        lambda p: FlowPlan("HighLevel updates", from_highlevel=True),
    ),
    Recipe(
        "auto-tag",
        "Tags from groups",
        "Contacts are tagged in HighLevel from their customer group, user groups, tags or "
        "price tier in {store}, so HighLevel lists and workflows can use them.",
        lambda p: FlowPlan("Tags from groups", actions=_tag_actions(p)),
        why_not=_tags_why_not,
        caveat=_tags_caveat,
    ),
    Recipe(
        "archive-deletes",
        "Archive deleted customers",
        "A customer deleted in {store} is archived in HighLevel: tagged “archived”, its open "
        "tasks completed, and a note saying when and where it was deleted.",
        _deletes_plan,
        caveat=_deletes_caveat,
    ),
    Recipe(
        "nightly-reconciliation",
        "Nightly reconciliation",
        "Every night at 02:00, {store} and HighLevel are read completely and compared; "
        "what drifted apart is reported and repaired.",
        lambda p: FlowPlan("Nightly reconciliation", reconcile_time=NIGHTLY, live_triggers=False),
        uses_time_zone=True,
    ),
    Recipe(
        "share-notes",
        "Notes both ways",
        "Customer notes in {store} and HighLevel contact notes are shared both ways; a change "
        "on either side reaches the other, the newest winning a conflict.",
        lambda p: FlowPlan("Notes both ways", two_way=True),
        why_not=_notes_why_not,
    ),
    Recipe(
        "appointments",
        "HighLevel appointments into the store",
        "Each HighLevel contact's appointments are written into the note of its customer in "
        "{store}, in a section of their own (the rest of the note is kept).",
        lambda p: FlowPlan("Appointments", from_highlevel=True, actions=APPOINTMENTS),
        why_not=lambda p: _actions_problem(p, APPOINTMENTS, from_highlevel=True),
    ),
    Recipe(
        "profile",
        "HighLevel profile into the store",
        "The note of each customer in {store} gets one profile from HighLevel: the contact, "
        "its open tasks, its notes and its business, kept up to date in a section of its own.",
        lambda p: FlowPlan("HighLevel profile", from_highlevel=True, actions=PROFILE),
        why_not=lambda p: _actions_problem(p, PROFILE, from_highlevel=True),
    ),
    Recipe(
        "business",
        "Companies as HighLevel businesses",
        "The company of each customer in {store} picks the HighLevel business its contact "
        "belongs to, through a table of companies → businesses you fill in once.",
        lambda p: FlowPlan("Businesses"),
        why_not=_business_why_not,
        caveat=_business_caveat,
    ),
)
BY_KEY = {recipe.key: recipe for recipe in RECIPES}


def recipe_get(key: str) -> Recipe | None:
    return BY_KEY.get(key)


# --- building -------------------------------------------------------------------------------
def _check_connections(
    recipe: Recipe, workspace: Workspace, store: Connection | None, highlevel: Connection | None
) -> None:
    problems: dict[str, str] = {}
    if store is None:
        problems["store_connection"] = "Choose the store's connection."
    elif store.workspace_id != workspace.pk:
        problems["store_connection"] = "Choose a connection of this workspace."
    elif store.provider == HIGHLEVEL:
        problems["store_connection"] = "Choose a store's connection here, not HighLevel's."
    else:
        reason = recipe_problem(recipe, get_provider(store.provider))
        if reason:
            name = get_provider(store.provider).name
            problems["store_connection"] = f"“{recipe.title}” does not work with {name}: {reason}"
    if highlevel is None:
        problems["highlevel_connection"] = "Choose the HighLevel connection."
    elif highlevel.workspace_id != workspace.pk:
        problems["highlevel_connection"] = "Choose a connection of this workspace."
    elif highlevel.provider != HIGHLEVEL:
        name = get_provider(highlevel.provider).name
        problems["highlevel_connection"] = f"Choose a HighLevel connection, not {name}."
    if problems:
        raise ValidationError(problems)


def _free_flow_name(workspace: Workspace, base: str) -> str:
    base = base[:90]
    taken = {
        name.lower()
        for name in Flow.objects.filter(workspace=workspace, name__istartswith=base).values_list(
            "name", flat=True
        )
    }
    name, number = base, 2
    while name.lower() in taken:
        name = f"{base} ({number})"
        number += 1
    return name


def _poll_minutes(platform: Provider) -> int:
    """Often when polling is all there is and asks only for changes; hourly as a backstop
    to webhooks, or when each poll reads everything (comparison)."""
    caps = platform.capabilities
    if caps.sends_webhooks or caps.change_detection is ChangeDetection.FULL_COMPARISON:
        return 60
    return 15


@transaction.atomic
def recipe_apply(
    *,
    recipe_key: str,
    workspace: Workspace,
    user,
    store_connection: Connection | None,
    highlevel_connection: Connection | None,
    time_zone: str = "UTC",
) -> list[Flow]:
    """The template's flow(s), created in test mode; all of them or none."""
    recipe = recipe_get(recipe_key)
    if recipe is None:
        raise ValidationError({"recipe": f"There is no flow template “{recipe_key}”."})
    if time_zone not in zoneinfo.available_timezones():
        raise ValidationError({"time_zone": "Choose a time zone from the list."})
    return recipe.build(
        workspace, user, store_connection, highlevel_connection, time_zone=time_zone
    )


# --- what the pages show --------------------------------------------------------------------
@dataclass
class RecipeChoice:
    """One template as the templates page shows it for a workspace's connections."""

    recipe: Recipe
    platforms: list[tuple[Provider, str]]  # (platform, why not: "" when it works)
    usable: list[Connection] = field(default_factory=list)  # store connections it can use
    unusable: list[tuple[Connection, str]] = field(default_factory=list)
    highlevel: list[Connection] = field(default_factory=list)

    @property
    def works_with(self) -> list[Provider]:
        return [p for p, why in self.platforms if not why]

    @property
    def refused(self) -> list[tuple[Provider, str]]:
        return [(p, why) for p, why in self.platforms if why]

    @property
    def ready(self) -> bool:
        return bool(self.usable and self.highlevel)


def recipe_choices(*, workspace: Workspace, key: str = "") -> list[RecipeChoice]:
    """Every template (or the one with `key`) with the platforms it works for and which of
    the workspace's connections it can use, or why not."""
    connections = list(Connection.objects.finished().filter(workspace=workspace).order_by("name"))
    highlevel = [c for c in connections if c.provider == HIGHLEVEL]
    stores = [c for c in connections if c.provider != HIGHLEVEL]
    every = platforms()
    choices = []
    for recipe in RECIPES:
        if key and recipe.key != key:
            continue
        support = {p.key: recipe_problem(recipe, p) for p in every}
        choice = RecipeChoice(recipe, [(p, support[p.key]) for p in every], highlevel=highlevel)
        for store in stores:
            why = support.get(store.provider, "ContactBridge does not know this system.")
            if why:
                choice.unusable.append((store, why))
            else:
                choice.usable.append(store)
        choices.append(choice)
    return choices
