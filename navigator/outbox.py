"""Work for the workers, recorded with the write that causes it.

Every service queues background work with ``enqueue(task, *args)``, inside its
transaction: a ``QueuedTask`` row is written with the write, so the database
holds the work whether or not the broker is up. Once the transaction commits
the task is published and the row deleted. A broker that is down makes the
publish fail within about a second (``PUBLISH_OPTIONS`` here, the broker
timeouts in settings); the request still answers success, a warning is
logged, and the row stays until ``publish_pending`` (the ``outbox-sweep`` beat
entry) sends it. docs/decisions/0006-broker-outages-and-idempotent-writes.md.

``publish`` is the same fail-fast publish without a row, for work a sweep
derives again from the domain rows anyway (reminders are claimed from
``Reminder`` rows; the heartbeat repeats every minute).

Two workers, or a sweep beside a request publishing its own row, never send a
row twice: whoever publishes a row holds its lock (``SKIP LOCKED`` for the
others) and deletes it in the same transaction. If the delete is lost after a
publish, the sweep sends the task again: every task is idempotent.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from celery import Task
from django.db import transaction
from django.db.models import F

from navigator.models import QueuedTask

log = logging.getLogger(__name__)

# kombu retries a publish for a while by default (about 0.6 s against a
# refused port; 6 s with ``retry=False``, which still retries the connection):
# no retry at all, so a web request never waits for a broker that is down.
# A failed publish is not lost, only later: the row stays for the sweep.
PUBLISH_OPTIONS: dict[str, Any] = {"retry": True, "retry_policy": {"max_retries": 0}}
SWEEP_BATCH_SIZE = 500


def enqueue(task: Task, *args: Any, **kwargs: Any) -> None:
    """Queue ``task(*args, **kwargs)`` once the current transaction commits.

    A rolled-back transaction queues nothing. Arguments must be JSON (ids,
    not objects): the task loads what it needs, as every task does.
    """
    row = QueuedTask.objects.create(task=task.name, args=list(args), kwargs=kwargs)
    # robust: nothing after the commit may turn a saved write into an error.
    transaction.on_commit(functools.partial(_publish_row, row.pk), robust=True)


def publish(task: Task, *args: Any, **options: Any) -> bool:
    """Send now, give up at once if the broker is unreachable; never raises.

    ``options`` are ``apply_async``'s (``queue``, ``kwargs``). Returns whether
    the broker took the task.
    """
    return not _send(task.name, args, options)


def _send(name: str, args: Any, options: dict[str, Any]) -> str:
    """Publish; '' when the broker took it, else why not (logged)."""
    from navigator.celery import app

    try:
        task = _registered(app, name)
        if task is not None:
            task.apply_async(args, **PUBLISH_OPTIONS, **options)
        else:
            # A row written before its task was renamed or removed: the
            # broker takes it and a worker drops it, rather than this row
            # blocking the sweep behind it for ever.
            app.send_task(name, args=args, **PUBLISH_OPTIONS, **options)
    except Exception as exc:  # any broker failure; the caller keeps the work
        log.warning("could not queue %s (%s: %s)", name, type(exc).__name__, exc)
        return f"{type(exc).__name__}: {exc}"[:500] or "failed"
    return ""


def _registered(app, name: str) -> Task | None:
    if name not in app.tasks:
        # A process that never imported the task's module (a command running
        # the sweep): load every app's tasks module, as a worker does.
        app.loader.import_default_modules()
    return app.tasks.get(name)


def _publish_row(pk: int) -> None:
    """Publish one committed row, unless a sweep holds or sent it already."""
    with transaction.atomic():
        row = (
            QueuedTask.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        )
        if row is None:
            return
        error = _send(row.task, row.args, {"kwargs": row.kwargs})
        if error:
            _failed([pk], error)
        else:
            QueuedTask.objects.filter(pk=pk).delete()


def publish_pending(*, max_batches: int = 20) -> dict[str, int]:
    """Publish what could not be published on commit; stop at the first
    failure (the broker is still down: the next sweep tries again).

    Identical tasks in a batch are sent once: every row is committed, so one
    run sees all their writes.
    """
    stats = {"published": 0, "pending": 0}
    for _ in range(max_batches):
        with transaction.atomic():
            rows = list(
                QueuedTask.objects.select_for_update(skip_locked=True).order_by("pk")[
                    :SWEEP_BATCH_SIZE
                ]
            )
            if not rows:
                return stats
            sent, failed, error = _publish_batch(rows)
            QueuedTask.objects.filter(pk__in=sent).delete()
            if failed:
                _failed(failed, error)
        stats["published"] += len(sent)
        if failed:
            break
    # Stopped by the broker, or after max_batches: what the next sweep finds.
    stats["pending"] = QueuedTask.objects.count()
    return stats


def _publish_batch(
    rows: list[QueuedTask],
) -> tuple[list[int], list[int], str]:
    """(ids published, ids left, why), in order; stops at the first failure."""
    sent: list[int] = []
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        work = (row.task, json.dumps([row.args, row.kwargs], sort_keys=True))
        if work not in seen:
            error = _send(row.task, row.args, {"kwargs": row.kwargs})
            if error:
                return sent, [r.pk for r in rows[index:]], error
            seen.add(work)
        sent.append(row.pk)
    return sent, [], ""


def _failed(ids: list[int], error: str) -> None:
    QueuedTask.objects.filter(pk__in=ids).update(
        attempts=F("attempts") + 1, last_error=error
    )
