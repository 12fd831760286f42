"""The embedded default: Celery's file-system broker under NAVIGATOR_VAR_DIR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from navigator import outbox
from navigator.models import QueuedTask
from navigator.tasks import worker_heartbeat
from tests.broker import broker_files

ROOT = Path(__file__).resolve().parents[2]


def test_a_fresh_var_folder_takes_a_task_without_set_up(tmp_path):
    """`manage.py seed_demo` (or anything queuing a task) on a fresh checkout,
    before `make run` ever made var/, used to fail on a missing broker folder."""
    var = tmp_path / "fresh-var"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "DATABASE_URL"}
    }
    env["NAVIGATOR_VAR_DIR"] = str(var)
    code = (
        "import django; django.setup(); "
        "from navigator.tasks import worker_heartbeat; "
        "worker_heartbeat.delay(name='fresh-checkout')"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "navigator.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    queued = list((var / "broker" / "queue").iterdir())
    assert len(queued) == 1
    assert "navigator.tasks.worker_heartbeat" in queued[0].read_text()


@pytest.mark.django_db
def test_the_outbox_publishes_to_the_file_system_broker(
    tmp_path, django_capture_on_commit_callbacks
):
    with broker_files(tmp_path / "broker") as queue:
        with django_capture_on_commit_callbacks(execute=True):
            outbox.enqueue(worker_heartbeat, "embedded")
        (message,) = queue.iterdir()
    assert "navigator.tasks.worker_heartbeat" in message.read_text()
    assert not QueuedTask.objects.exists()
