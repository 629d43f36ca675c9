"""Flow templates: the list (what each does, which connections it can use or why not) and
the small form that creates a template's flow(s) in test mode."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.access import workspace_access
from accounts.models import Role
from integrations.models import Connection
from integrations.providers.registry import get_provider
from sync import recipes
from sync.forms import TIME_ZONES
from sync.views import can_edit

CREATED = "Created in test mode: dry-run it first."


class ConnectionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Connection) -> str:
        return f"{obj.name} ({get_provider(obj.provider).name})"


class RecipeForm(forms.Form):
    """Which store and which HighLevel connection: only the workspace's compatible ones."""

    store_connection = ConnectionChoice(
        label="Store", queryset=Connection.objects.none(), empty_label="Choose…"
    )
    highlevel_connection = ConnectionChoice(
        label="HighLevel", queryset=Connection.objects.none(), empty_label="Choose…"
    )
    time_zone = forms.ChoiceField(
        label="Time zone of 02:00", choices=[(z, z) for z in TIME_ZONES], initial="UTC"
    )

    def __init__(self, *args, choice: recipes.RecipeChoice, **kwargs):
        super().__init__(*args, **kwargs)
        for name, offered in (
            ("store_connection", choice.usable),
            ("highlevel_connection", choice.highlevel),
        ):
            pks = [c.pk for c in offered]
            self.fields[name].queryset = Connection.objects.filter(pk__in=pks).order_by("name")
            if len(pks) == 1:  # the only choice is the likely one
                self.fields[name].initial = pks[0]
        if not choice.recipe.uses_time_zone:
            del self.fields["time_zone"]

    def add_service_errors(self, error: ValidationError) -> None:
        for name, texts in error.message_dict.items():
            self.add_error(name if name in self.fields else None, texts)


@login_required
def recipe_list(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    context = {
        "choices": recipes.recipe_choices(workspace=membership.workspace),
        "can_edit": can_edit(request),
    }
    return render(request, "sync/recipe_list.html", context)


@login_required
def recipe_apply(request, workspace_id, recipe_key):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    workspace = membership.workspace
    found = recipes.recipe_choices(workspace=workspace, key=recipe_key)
    if not found:
        raise Http404("No such flow template.")
    choice = found[0]
    form = RecipeForm(request.POST if request.method == "POST" else None, choice=choice)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            flows = recipes.recipe_apply(
                recipe_key=choice.recipe.key,
                workspace=workspace,
                user=request.user,
                store_connection=data["store_connection"],
                highlevel_connection=data["highlevel_connection"],
                time_zone=data.get("time_zone") or "UTC",
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            platform = get_provider(data["store_connection"].provider)
            next_step = choice.recipe.caveat(platform)
            messages.success(request, f"{CREATED} {next_step}".strip())
            return redirect("sync:flow-detail", workspace.pk, flows[0].pk)
    return render(request, "sync/recipe_apply.html", {"choice": choice, "form": form})
