from django.urls import path

from sync.views import catalogue, flows, runs

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
]
