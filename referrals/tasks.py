"""Celery front doors of the referral sweeps (referrals/sweeps.py). Each
task only calls the sweeps; all are idempotent, so they ack late and are
re-queued if their worker dies (as followups/tasks.py)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from navigator import outbox
from referrals import sweeps
from referrals.webhooks import delivery as webhook_delivery

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**IDEMPOTENT)
def dispatch_referral_sweeps() -> int:
    """Beat, every minute: when anything is due, set REFERRAL_SWEEP_PARALLEL
    workers on it. The tasks carry no ids: each claims its own batches from
    the database (SKIP LOCKED), so a lost or doubled task loses or doubles
    nothing, and the next beat finds what is left."""
    if not sweeps.anything_due():
        return 0
    return sum(
        outbox.publish(run_referral_sweep)
        for _ in range(settings.REFERRAL_SWEEP_PARALLEL)
    )


@shared_task(**IDEMPOTENT)
def run_referral_sweep() -> dict[str, int]:
    return sweeps.sweep()


@shared_task(**IDEMPOTENT)
def dispatch_webhooks() -> int:
    """Beat, every few seconds: when an event is due, set WEBHOOK_PARALLEL
    workers on it. No ids in the tasks: each claims events from the
    database (SKIP LOCKED); a lost or doubled task loses or doubles
    nothing (referrals/webhooks/delivery.py)."""
    if not webhook_delivery.anything_due():
        return 0
    return sum(
        outbox.publish(deliver_webhooks) for _ in range(settings.WEBHOOK_PARALLEL)
    )


@shared_task(**IDEMPOTENT)
def deliver_webhooks() -> dict[str, int]:
    return webhook_delivery.deliver_due()
