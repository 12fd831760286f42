"""Platform tasks: the worker heartbeat that ``/healthz`` reports, the sweep
that publishes work queued while the broker was down, and the expiry of API
idempotency keys."""

from __future__ import annotations

import socket

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from navigator import outbox
from navigator.api import idempotency
from navigator.models import WorkerHeartbeat


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def worker_heartbeat(name: str = "") -> str:
    """Record that a worker is alive and the scheduler runs; idempotent."""
    name = name or socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now()}
    )
    return name


@worker_ready.connect
def heartbeat_on_worker_ready(sender=None, **kwargs) -> None:
    """Send one heartbeat through the broker as soon as a worker consumes.

    Beat's first run of an interval entry comes one interval after it starts,
    so without this a fresh worker would look "unknown" in /healthz for a
    minute. It goes through the broker (not called inline) so the first
    heartbeat also proves the publish -> consume path; it goes to a queue this
    worker consumes, so a worker started with ``-Q`` still receives it.
    """
    queues = list(getattr(getattr(sender, "task_consumer", None), "queues", []))
    options = {"queue": queues[0].name} if queues else {}
    # publish() never raises: a heartbeat must never stop a worker starting.
    outbox.publish(worker_heartbeat, **options)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def publish_queued_tasks() -> dict[str, int]:
    """Beat: publish the work that could not be queued when it was written."""
    return outbox.publish_pending()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def expire_idempotency_keys() -> int:
    """Beat, hourly: API idempotency keys (and their answers) after 24 hours."""
    return idempotency.expire()
