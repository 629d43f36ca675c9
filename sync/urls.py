from django.urls import path

from sync.views import catalogue, flows, runs
from sync.views.conflicts import conflict_list, conflict_resolve
from sync.views.cursors import cursor_rewind, flow_cursors
from sync.views.drift import drift_detail, drift_list, drift_reconcile, drift_resync
from sync.views.links import link_detail
from sync.views.recipes import recipe_apply, recipe_list

app_name = "sync"
W = "w/<int:workspace_id>/"
F = W + "flows/<int:flow_id>/"
urlpatterns = [
    path(W + "flows/", flows.flow_list, name="flow-list"),
    path(W + "flows/new/", flows.flow_new, name="flow-new"),
    path(W + "catalogue/", catalogue.catalogue_page, name="catalogue"),
    path(F, flows.flow_detail, name="flow-detail"),
    path(F + "edit/", flows.flow_edit, name="flow-edit"),
    path(F + "delete/", flows.flow_delete, name="flow-delete"),
    path(F + "run/", flows.flow_run, name="flow-run"),
    path(F + "mode/", flows.flow_mode, name="flow-mode"),
    path(F + "pause/", flows.flow_pause, name="flow-pause"),
    path(F + "resume/", flows.flow_resume, name="flow-resume"),
    path(F + "replay/", flows.flow_replay, name="flow-replay"),
    path(F + "runs/<int:run_id>/", runs.run_detail, name="run-detail"),
    path(W + "flows/templates/", recipe_list, name="recipe-list"),
    path(W + "flows/templates/<slug:recipe_key>/", recipe_apply, name="recipe-apply"),
    path(F + "cursors/", flow_cursors, name="flow-cursors"),
    path(F + "cursors/rewind/", cursor_rewind, name="cursor-rewind"),
    path(F + "conflicts/", conflict_list, name="conflict-list"),
    path(F + "conflicts/resolve/", conflict_resolve, name="conflict-resolve"),
    path(F + "records/<int:link_id>/", link_detail, name="link-detail"),
    path(F + "drift/", drift_list, name="drift-list"),
    path(F + "drift/reconcile/", drift_reconcile, name="drift-reconcile"),
    path(F + "drift/<int:report_id>/", drift_detail, name="drift-detail"),
    path(F + "drift/<int:report_id>/resync/", drift_resync, name="drift-resync"),
]
