"""Benchmark: 10,000 webhook events through one Celery worker.

PostgreSQL + Redis, and a local receiver (tests/referrals/webhook_receiver.py:
verifies every signature with the standardwebhooks package, dedupes on
webhook-id). Prints the time from the worker's start until every event is
delivered, the posts received and the duplicates (must be 0).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nav_bench_wh \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/8 \
    .venv/bin/python tests/perf/bench_webhooks.py [--count 10000]

The database named in DATABASE_URL is dropped and re-created: use a scratch one.
"""

from __future__ import annotations

import argparse
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
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    env = {
        **os.environ,
        "WEBHOOK_SWEEP_SECONDS": "1",
        "WEBHOOK_BATCH_LIMIT": "500",
        "WEBHOOK_PARALLEL": str(args.concurrency),
        # Its own queue: nothing queued earlier on this Redis reaches the run.
        "CELERY_QUEUE": f"bench-webhooks-{uuid.uuid4().hex}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
    )
    import django

    django.setup()
    from tests.referrals.webhook_receiver import Receiver

    with Receiver() as receiver:
        _seed(args.count, receiver)
        procs = []
        start = time.monotonic()
        for cmd in (
            ["worker", "--loglevel=WARNING", f"--concurrency={args.concurrency}"],
            ["beat", "--loglevel=WARNING", f"--schedule={tmp / 'beat'}"],
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
            delivered = _wait_all_delivered(args.count, timeout=900)
            elapsed = time.monotonic() - start
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
        posts = sum(receiver.posts.values())
        accepted = len(receiver.accepted)
        bad = receiver.bad_signatures
    print(  # noqa: T201
        f"bench_webhooks: {delivered} of {args.count} events delivered in "
        f"{elapsed:.1f} s ({delivered / elapsed:.0f}/s) by one worker "
        f"(concurrency {args.concurrency}); {posts} posts, {accepted} accepted, "
        f"{posts - accepted} duplicates, {bad} bad signatures"
    )
    if delivered != args.count or accepted != args.count or bad:
        sys.exit(1)


def _recreate_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _seed(count: int, receiver) -> None:
    """Due events for one agency whose endpoint is the receiver (setup only)."""
    from django.utils import timezone

    from navigator.models import Program
    from referrals.models import Agency, WebhookEndpoint, WebhookEvent
    from referrals.webhooks.signing import new_secret

    program = Program.objects.create(
        name="Bench", slug="bench", response_model="embedded"
    )
    agency = Agency.objects.create(name="Bench agency", slug="bench", kind="clinic")
    agency.programs.add(program)
    secret = new_secret()
    receiver.secret = secret
    WebhookEndpoint.objects.create(agency=agency, url=receiver.url, secret=secret)
    now = timezone.now()
    WebhookEvent.objects.bulk_create(
        (
            WebhookEvent(
                agency=agency,
                type="referral.updated",
                payload={"data": {"referral_id": i, "event": "accept"}},
                next_attempt_at=now,
            )
            for i in range(count)
        ),
        batch_size=2000,
    )


def _wait_all_delivered(count: int, timeout: float) -> int:
    from referrals.models import WebhookEvent, WebhookStatus

    deadline = time.monotonic() + timeout
    delivered = 0
    while time.monotonic() < deadline:
        delivered = WebhookEvent.objects.filter(status=WebhookStatus.DELIVERED).count()
        if delivered >= count:
            break
        time.sleep(0.25)
    return delivered


if __name__ == "__main__":
    main()
