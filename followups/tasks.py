"""Celery front doors of the reminder engine. Each task only calls the engine.

All are idempotent, so they ack late and are re-queued if their worker dies
(REFERENCE.md: acks_late + reject_on_worker_lost are safe only for those).
"""

from __future__ import annotations

from celery import shared_task

from followups import reminders
from navigator import outbox

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**IDEMPOTENT)
def sweep_due_reminders() -> dict[str, int]:
    """Beat, every few seconds: claim due reminders and fan them out.

    The claims are the durable record of the work (no outbox row): a batch
    the broker does not take is released for the next sweep.
    """

    def dispatch(ids: list[int]) -> bool:
        if outbox.publish(deliver_reminders, ids):
            return True
        reminders.release_claims(ids)
        return False

    return reminders.sweep(dispatch=dispatch)


@shared_task(**IDEMPOTENT)
def deliver_reminders(reminder_ids: list[int]) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    for outcome in reminders.deliver_batch(reminder_ids).values():
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@shared_task(**IDEMPOTENT)
def plan_periodic_reminders() -> dict[str, int]:
    """Beat, every few minutes: daily digests and manager escalations."""
    return reminders.plan_periodic()
