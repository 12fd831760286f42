"""A real ``celery -A navigator worker`` process against Redis runs a task sent
through the broker, and its effect shows up in the test database.

Needs CELERY_BROKER_URL=redis://... and a database another process can open
(DATABASE_URL=postgres://...). Without them the test skips and says so; with
NAVIGATOR_REQUIRE_SERVICES=1 (set by .ci/run) or CI=true it fails instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import suppress
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from navigator.celery import app as celery_app
from navigator.models import WorkerHeartbeat
from navigator.tasks import worker_heartbeat
from tests.required import database_url
from tests.required import require as _require

pytestmark = [pytest.mark.worker, pytest.mark.slow]

BASE_DIR = Path(settings.BASE_DIR)
WAIT_SECONDS = 60


def _redis_broker_url() -> str:
    url = celery_app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        _require(
            "the worker test needs CELERY_BROKER_URL=redis://... "
            "(e.g. redis://127.0.0.1:6379/1)"
        )
    return url


def _test_database_url() -> str:
    """The test database (pytest-django's test_<name>) as a DATABASE_URL, so
    the worker process writes where this test reads."""
    if connection.vendor != "postgresql":
        _require(
            "the worker test needs a database another process can open: "
            "DATABASE_URL=postgres://... (the SQLite test database is in memory)"
        )
    return database_url()


@pytest.fixture
def not_eager():
    """conftest runs tasks inline; this test must go through the broker."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def queue():
    """A queue of its own, so concurrent runs on one Redis never collide."""
    name = f"pytest-worker-{uuid.uuid4().hex}"
    yield name
    # Redis keeps a queue's bindings after it empties; drop this run's keys.
    with suppress(Exception), celery_app.connection_for_write() as conn:
        conn.default_channel.client.delete(
            name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}"
        )


@pytest.fixture
def start_worker(tmp_path, transactional_db):
    procs: list[tuple[subprocess.Popen, Path]] = []

    def start(*, queue: str, broker_url: str, database_url: str):
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"CELERY_TASK_ALWAYS_EAGER", "PYTEST_CURRENT_TEST"}
        }
        env.update(
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=broker_url,
            NAVIGATOR_VAR_DIR=str(tmp_path),
            PYTHONUNBUFFERED="1",
        )
        log = tmp_path / "worker.log"
        cmd = [
            sys.executable, "-m", "celery", "-A", "navigator", "worker",
            "--queues", queue,
            "--hostname", f"{queue}@%h",
            "--concurrency", "1",  # prefork, as in production: fork after setup
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel", "INFO",
        ]  # fmt: skip
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its pool processes die with it below
            )
        procs.append((proc, log))
        return proc, log

    yield start

    # Stopped before transactional_db flushes the tables it wrote to.
    for proc, _log in procs:
        with suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def test_worker_process_runs_a_task_sent_through_redis(not_eager, queue, start_worker):
    broker_url = _redis_broker_url()
    database_url = _test_database_url()
    name = f"pytest-{uuid.uuid4().hex[:12]}"

    # Published before any worker exists: the message waits in Redis, and
    # nothing ran in this process (it would have, were tasks eager).
    worker_heartbeat.apply_async(kwargs={"name": name}, queue=queue)
    assert not WorkerHeartbeat.objects.filter(name=name).exists()

    proc, log = start_worker(
        queue=queue, broker_url=broker_url, database_url=database_url
    )
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        # Both: ours, and the worker's own start-up heartbeat, which it
        # publishes when it is ready and so may run just after ours.
        if (
            WorkerHeartbeat.objects.filter(name=name).exists()
            and WorkerHeartbeat.objects.exclude(name=name).exists()
        ):
            break
        if proc.poll() is not None:
            pytest.fail(f"the worker exited with {proc.returncode}:\n{log.read_text()}")
        time.sleep(0.25)
    else:
        pytest.fail(
            f"no heartbeat after {WAIT_SECONDS}s; worker log:\n{log.read_text()}"
        )

    output = log.read_text()
    assert "Task navigator.tasks.worker_heartbeat[" in output
    assert "succeeded" in output
