"""A real Celery worker process picks a task up from the configured broker (the filesystem
transport by default; Redis in CI's second pass) and writes to the test database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from diagnostics.models import WorkerHeartbeat
from diagnostics.tasks import worker_heartbeat_record
from tests.support import worker_database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_from_the_broker():
    queue = f"test-{uuid.uuid4().hex[:8]}"  # our own queue: stray messages stay out of it
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        worker_heartbeat_record.apply_async(args=["worker-under-test"], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            if WorkerHeartbeat.objects.filter(hostname="worker-under-test").exists():
                break
            time.sleep(0.3)
        alive = worker.poll() is None
    finally:
        worker.terminate()
        try:
            output = worker.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0]
    assert alive, f"the worker died:\n{output[-3000:]}"
    beat = WorkerHeartbeat.objects.filter(hostname="worker-under-test").first()
    assert beat is not None, f"the task never ran:\n{output[-3000:]}"
    assert beat.beats == 1
