from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone

from navigator.models import WorkerHeartbeat


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def worker_heartbeat(name: str = "") -> str:
    """Record that a worker is alive and the scheduler runs; idempotent."""
    name = name or socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now()}
    )
    return name
