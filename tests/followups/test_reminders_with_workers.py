"""Reminders through real Celery processes on PostgreSQL + Redis.

These start `celery worker` / `celery beat` subprocesses on the test database
and a dedicated Redis database, kill workers with SIGKILL mid-run, and count
the emails in the mailbox (files), not the rows.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from followups import services
from followups.models import Delivery, Reminder, ReminderStatus
from navigator.models import Role
from tests.factories import PersonFactory, ProgramFactory, member

ROOT = Path(__file__).resolve().parents[2]
WORKER_CONCURRENCY = 2


def _requirements() -> str | None:
    if connection.vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL=postgres://…)"
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "needs Redis (set CELERY_BROKER_URL=redis://…)"
    return None


@pytest.fixture
def stack(tmp_path):
    """Start / kill worker and beat processes on the test database."""
    missing = _requirements()
    if missing:
        if os.environ.get("NAVIGATOR_REQUIRE_SERVICES") == "1":
            pytest.fail(f"worker tests are required here but {missing}")
        pytest.skip(missing)
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/"
            f"{db['NAME']}"
        ),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        # A queue of this test's own: nothing left by another run (or another
        # checkout sharing the Redis) reaches these workers, nothing is flushed.
        "CELERY_QUEUE": f"test-reminders-{uuid.uuid4().hex}",
        "EMAIL_BACKEND": "tests.followups.backends.CountingFileEmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "REMINDER_CLAIM_SECONDS": "5",
        "REMINDER_SWEEP_SECONDS": "1",
        "REMINDER_BATCH_SIZE": "25",
        "PYTHONPATH": str(ROOT),
    }
    procs: list[subprocess.Popen] = []

    def start(*args: str, name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115 (closed by the process)
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "navigator", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill pool children too
        )
        procs.append(proc)
        return proc

    def worker(name: str) -> subprocess.Popen:
        return start(
            "worker",
            "--loglevel=INFO",
            f"--concurrency={WORKER_CONCURRENCY}",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
            name=name,
        )

    def beat() -> subprocess.Popen:
        return start(
            "beat",
            "--loglevel=INFO",
            f"--schedule={tmp_path / 'beat-schedule'}",
            name="beat",
        )

    def kill(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        proc.wait(timeout=10)

    yield SimpleNamespace(worker=worker, beat=beat, kill=kill, tmp=tmp_path, env=env)
    for proc in procs:
        kill(proc)


def _mailbox(tmp: Path) -> list[Path]:
    folder = tmp / "mail"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def _attempts(tmp: Path) -> list[str]:
    log = tmp / "send-attempts.log"
    return log.read_text().splitlines() if log.exists() else []


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _schedule_due_now(count: int):
    program = ProgramFactory()
    navigator = member(program, Role.NAVIGATOR, email="field@example.org")
    people = [PersonFactory(program=program) for _ in range(20)]
    due = timezone.now() + datetime.timedelta(seconds=50)  # within the next minute
    for i in range(count):
        services.followup_schedule(
            by=navigator, person=people[i % len(people)], due_at=due, method="phone"
        )
    return navigator


def _sent() -> int:
    return Reminder.objects.filter(status=ReminderStatus.SENT).count()


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigkilled_worker_loses_and_doubles_nothing(stack):
    total = 1000
    _schedule_due_now(total)
    assert Reminder.objects.filter(status=ReminderStatus.PENDING).count() == total
    stack.beat()
    worker = stack.worker("w1")
    kills = 0
    for threshold in (100, 450):
        _wait(
            lambda t=threshold: len(_mailbox(stack.tmp)) >= t,
            120,
            f"{threshold} emails",
        )
        assert len(_mailbox(stack.tmp)) < total, "killed too late to prove anything"
        stack.kill(worker)
        kills += 1
        worker = stack.worker(f"w{kills + 1}")
    _wait(lambda: _sent() == total, 240, "every reminder sent")
    mails = _mailbox(stack.tmp)
    assert kills == 2
    assert len(mails) == total  # every reminder delivered, none twice
    bodies = {m.read_text() for m in mails}
    assert len(bodies) == total
    assert Delivery.objects.filter(status="sent").count() == total
    # A kill rolls back the batches in flight (up to concurrency x batch size
    # claimed rows), whose sends are attempted again once the claim expires;
    # the mailbox dropped those by key. Nothing else may repeat an attempt.
    attempts = _attempts(stack.tmp)
    in_flight = WORKER_CONCURRENCY * int(stack.env["REMINDER_BATCH_SIZE"])
    assert len(set(attempts)) == total
    assert len(attempts) - total <= kills * in_flight
    print(f"\n{total} reminders, {kills} SIGKILLs, {len(attempts)} send attempts")


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_and_a_manual_sweep_send_each_once(stack):
    total = 300
    _schedule_due_now(total)
    stack.beat()
    stack.worker("a")
    stack.worker("b")
    manual = subprocess.run(
        [sys.executable, "manage.py", "send_due_reminders", "--batch-size", "10"],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert manual.returncode == 0, manual.stderr
    _wait(lambda: _sent() == total, 180, "every reminder sent")
    attempts = _attempts(stack.tmp)
    # Without crashes not even an attempt repeats: the row lock and the
    # unique delivery stop a second send before the mailbox has to.
    assert len(attempts) == total == len(set(attempts))
    assert len(_mailbox(stack.tmp)) == total
