import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# DjangoTask adds delay_on_commit(), so nothing is enqueued for rows that roll back.
app = Celery("contactbridge", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_after_configure.connect
def _create_filesystem_broker_folders(sender, **kwargs):
    # Kombu's filesystem transport needs its folders before the first message is written.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


app.autodiscover_tasks()


@app.on_after_configure.connect
def _schedule_periodic_tasks(sender, **kwargs):
    # OAuth tokens are refreshed ahead of expiry and at least daily (integrations.token_health).
    sender.add_periodic_task(
        15 * 60.0, sender.signature("integrations.tasks.token_refresh_due"), name="token-refresh"
    )
    # Webhook rows whose wait (confirmation cap, retry backoff) is over or whose worker died.
    sender.add_periodic_task(
        5 * 60.0,
        sender.signature("integrations.tasks.webhook_targets_sweep"),
        name="webhook-targets-sweep",
    )
    # Setups abandoned in the wizard: drafts untouched for a day (integrations/tasks.py).
    sender.add_periodic_task(
        3600.0,
        sender.signature("integrations.tasks.connection_drafts_prune_due"),
        name="connection-drafts-prune",
    )
    # Flows (sync.tasks): polls, daily schedules, retries and runs paused for a daily cap
    # every minute; runs whose worker died every 5 minutes (a run is stale after 10 minutes
    # without a heartbeat); finished runs past their retention daily.
    for task, seconds in (
        ("flows_poll_due", 60.0),
        ("flows_schedule_due", 60.0),
        ("retries_due", 60.0),
        ("runs_resume_waiting", 60.0),
        ("runs_reset_stale", 5 * 60.0),
        ("runs_prune", 24 * 3600.0),
        # Each flow's nightly reconciliation, at its own reconcile_time (sync.reconcile).
        ("flows_reconcile_due", 60.0),
    ):
        sender.add_periodic_task(
            seconds, sender.signature(f"sync.tasks.{task}"), name=f"sync-{task}"
        )


@worker_ready.connect
def _report_in(sender, **kwargs):
    # The first beat-driven heartbeat comes a minute after start; say "running" at once.
    sender.app.send_task("diagnostics.tasks.worker_heartbeat_record")
