"""Webhook delivery through real Celery processes on PostgreSQL + Redis
(the reminders' harness: ``stack`` starts beat and workers on the test
database and SIGKILLs them mid-run), to a receiver in this process that
dedupes on ``webhook-id`` and counts what it accepts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from referrals.models import WebhookEndpoint, WebhookEvent, WebhookStatus
from referrals.webhooks import signing
from tests.factories import ProgramFactory
from tests.followups.test_reminders_with_workers import (  # noqa: F401 (the fixture)
    WORKER_CONCURRENCY,
    _wait,
    stack,
)
from tests.referrals.factories import partner_of
from tests.referrals.webhook_receiver import Receiver


def _events(receiver: Receiver, count: int) -> set[str]:
    """``count`` pending events for one agency whose endpoint is ``receiver``."""
    agency = partner_of(ProgramFactory())
    secret = signing.new_secret()
    receiver.secret = secret
    WebhookEndpoint.objects.create(agency=agency, url=receiver.url, secret=secret)
    now = timezone.now()
    rows = [
        WebhookEvent(
            agency=agency,
            type="referral.updated",
            payload={"data": {"referral_id": i, "event": "accept"}},
            next_attempt_at=now,
        )
        for i in range(count)
    ]
    WebhookEvent.objects.bulk_create(rows, batch_size=1000)
    return {row.id for row in rows}


def _delivered() -> int:
    return WebhookEvent.objects.filter(status=WebhookStatus.DELIVERED).count()


def _assert_each_accepted_once(receiver: Receiver, ids: set[str]) -> int:
    assert set(receiver.accepted) == ids  # every event reached the receiver
    assert set(receiver.accepted.values()) == {1}  # none accepted twice
    assert receiver.bad_signatures == 0
    assert not WebhookEvent.objects.exclude(status=WebhookStatus.DELIVERED).exists()
    return sum(receiver.posts.values()) - len(ids)  # repeats (same ids)


def _env(stack) -> None:  # noqa: F811
    stack.env["WEBHOOK_SWEEP_SECONDS"] = "1"
    stack.env["WEBHOOK_BATCH_LIMIT"] = "50"


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigkilled_workers_lose_nothing_and_repeat_the_same_ids(stack):  # noqa: F811
    total = 600
    with Receiver(delay=0.005) as receiver:
        ids = _events(receiver, total)
        _env(stack)
        stack.beat()
        worker = stack.worker("w1")
        kills = 0
        for threshold in (100, 300):
            _wait(lambda t=threshold: len(receiver.accepted) >= t, 180, f"{threshold}")
            assert len(receiver.accepted) < total, "killed too late to prove anything"
            stack.kill(worker)  # mid-send: posted, maybe not committed
            kills += 1
            worker = stack.worker(f"w{kills + 1}")
        _wait(lambda: _delivered() == total, 300, "every event delivered")
        repeats = _assert_each_accepted_once(receiver, ids)
    # Only the posts in flight at a kill are repeated.
    assert repeats <= kills * WORKER_CONCURRENCY
    print(f"\n{total} events, {kills} SIGKILLs, {repeats} repeated posts")  # noqa: T201


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_post_each_event_once(stack):  # noqa: F811
    total = 400
    with Receiver() as receiver:
        ids = _events(receiver, total)
        _env(stack)
        stack.beat()
        stack.worker("a")
        stack.worker("b")
        _wait(lambda: _delivered() == total, 180, "every event delivered")
        repeats = _assert_each_accepted_once(receiver, ids)
    # Without crashes not even a post repeats: SKIP LOCKED hands each event
    # to one worker.
    assert repeats == 0
