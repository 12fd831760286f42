"""Benchmark: 10,000 due reminders through one Celery worker.

PostgreSQL + Redis + the file email backend, as in production but on one
machine. Prints the time from the worker's start until every reminder is
sent, and the duplicates found in the mailbox (must be 0).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nav_bench \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/8 \
    .venv/bin/python tests/perf/bench_reminders.py [--count 10000]

The database named in DATABASE_URL is dropped and re-created: use a scratch one.
"""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navigator.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("postgres") or not broker.startswith("redis://"):
        sys.exit(
            "Set DATABASE_URL=postgres://… (scratch) and CELERY_BROKER_URL=redis://…"
        )
    _recreate_database(url)
    mail_dir = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    env = {
        **os.environ,
        "EMAIL_BACKEND": "followups.channels.IdempotentFileEmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "REMINDER_SWEEP_SECONDS": "1",
        "REMINDER_BATCH_SIZE": "200",
        # Its own queue: nothing queued earlier on this Redis reaches the run.
        "CELERY_QUEUE": f"bench-reminders-{uuid.uuid4().hex}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
    )
    import django

    django.setup()
    _seed(args.count)
    procs = []
    start = time.monotonic()
    for cmd in (
        ["worker", "--loglevel=WARNING", f"--concurrency={args.concurrency}"],
        ["beat", "--loglevel=WARNING", f"--schedule={mail_dir}.beat"],
    ):
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "navigator", *cmd],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
        )
    try:
        sent = _wait_all_sent(args.count, timeout=600)
        elapsed = time.monotonic() - start
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    files = list(mail_dir.glob("*.eml"))
    ids = {f.read_text().split("Message-ID:", 1)[1].split("\n", 1)[0] for f in files}
    print(
        f"bench_reminders: {sent} of {args.count} reminders sent in {elapsed:.1f} s "
        f"({sent / elapsed:.0f}/s) by one worker (concurrency {args.concurrency}); "
        f"{len(files)} emails, {len(files) - len(ids)} duplicates"
    )
    if sent != args.count or len(files) != args.count:
        sys.exit(1)


def _recreate_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _seed(count: int) -> None:
    """Follow-ups due now, with their reminders, written in bulk (setup only)."""
    from django.utils import timezone

    from cases.models import Person
    from followups.models import Followup, Reminder, ReminderKind
    from navigator.models import Membership, Program, Role, User

    program = Program.objects.create(
        name="Bench", slug="bench", response_model="embedded"
    )
    user = User.objects.create(username="bench", email="bench@example.org")
    Membership.objects.create(user=user, program=program, role=Role.NAVIGATOR)
    people = Person.objects.bulk_create(
        Person(program=program, first_name="P", last_name=str(i), search_text=f"p {i}")
        for i in range(100)
    )
    now = timezone.now()
    due = now + datetime.timedelta(minutes=30)
    followups = Followup.objects.bulk_create(
        (
            Followup(
                program=program,
                person=people[i % 100],
                due_at=due,
                assigned_to=user,
                method="phone",
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    Reminder.objects.bulk_create(
        (
            Reminder(
                kind=ReminderKind.DUE_SOON,
                program=program,
                followup=f,
                recipient_user=user,
                send_after=now,
            )
            for f in followups
        ),
        batch_size=2000,
    )


def _wait_all_sent(count: int, timeout: float) -> int:
    from followups.models import Reminder, ReminderStatus

    deadline = time.monotonic() + timeout
    sent = 0
    while time.monotonic() < deadline:
        sent = Reminder.objects.filter(status=ReminderStatus.SENT).count()
        if sent >= count:
            break
        time.sleep(0.25)
    return sent


if __name__ == "__main__":
    main()
