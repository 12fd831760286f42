"""navigator.outbox: work is written with the write, published after commit,
kept when the broker is down, and sent by the sweep once it is back."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection, transaction

from navigator import outbox
from navigator.models import QueuedTask, WorkerHeartbeat
from navigator.tasks import heartbeat_on_worker_ready, publish_queued_tasks
from navigator.tasks import worker_heartbeat as task
from tests.broker import broker_frozen, broker_refusing

pytestmark = pytest.mark.django_db

# A refused connection fails the publish at once: well under this (seconds).
FAST = 1.0


def beats() -> list[str]:
    return sorted(WorkerHeartbeat.objects.values_list("name", flat=True))


def test_enqueued_work_is_published_once_committed_and_the_row_goes(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        outbox.enqueue(task, "after-commit")
        assert QueuedTask.objects.get().args == ["after-commit"]
        assert beats() == []  # not before the commit
    assert len(callbacks) == 1
    assert beats() == ["after-commit"]
    assert not QueuedTask.objects.exists()


def test_a_rolled_back_write_queues_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.enqueue(task, "rolled-back")
        raise RuntimeError
    assert callbacks == []
    assert not QueuedTask.objects.exists() and beats() == []


def test_broker_down_keeps_the_work_and_answers_at_once(
    django_capture_on_commit_callbacks, caplog
):
    with broker_refusing(), django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            outbox.enqueue(task, "later")
        start = time.monotonic()  # the hooks run as the capture block ends
    assert time.monotonic() - start < FAST
    row = QueuedTask.objects.get()
    assert (row.task, row.args, row.attempts) == (task.name, ["later"], 1)
    assert "OperationalError" in row.last_error
    assert "could not queue navigator.tasks.worker_heartbeat" in caplog.text
    assert beats() == []

    # The broker is back: the sweep sends it.
    assert publish_queued_tasks() == {"published": 1, "pending": 0}
    assert beats() == ["later"]
    assert not QueuedTask.objects.exists()


def test_the_sweep_stops_at_the_first_failure_and_keeps_every_row():
    for name in ("a", "b", "c"):
        outbox.enqueue(task, name)  # no commit hooks run: as after an outage
    with (
        broker_refusing(),
        mock.patch.object(outbox, "_send", wraps=outbox._send) as send,
    ):
        start = time.monotonic()
        assert outbox.publish_pending() == {"published": 0, "pending": 3}
        assert time.monotonic() - start < FAST
    assert send.call_count == 1  # not one doomed try per row
    assert set(QueuedTask.objects.values_list("attempts", flat=True)) == {1}
    assert outbox.publish_pending() == {"published": 3, "pending": 0}
    assert beats() == ["a", "b", "c"]


def test_the_sweep_sends_identical_work_once():
    for _ in range(3):
        outbox.enqueue(task, "same")
    outbox.enqueue(task, "other")
    with mock.patch.object(outbox, "_send", wraps=outbox._send) as send:
        assert outbox.publish_pending() == {"published": 4, "pending": 0}
    assert [c.args[1] for c in send.call_args_list] == [["same"], ["other"]]


def test_the_sweep_works_in_batches(monkeypatch):
    monkeypatch.setattr(outbox, "SWEEP_BATCH_SIZE", 2)
    for n in range(5):
        outbox.enqueue(task, f"n{n}")
    assert outbox.publish_pending() == {"published": 5, "pending": 0}
    assert len(beats()) == 5


def test_keyword_arguments_are_kept():
    outbox.enqueue(task, name="by-keyword")
    assert QueuedTask.objects.get().kwargs == {"name": "by-keyword"}
    outbox.publish_pending()
    assert beats() == ["by-keyword"]


def test_publish_never_raises_and_says_whether_it_worked():
    with broker_refusing():
        assert outbox.publish(task, "x") is False
    assert outbox.publish(task, "y") is True
    assert beats() == ["y"]


@pytest.mark.slow
def test_a_frozen_broker_fails_the_publish_within_the_read_timeout(settings):
    """Redis accepts the connection and never answers: without a socket
    timeout redis-py would wait forever."""
    limit = settings.BROKER_REDIS_TIMEOUTS["socket_timeout"] + 1.5
    with broker_frozen():
        start = time.monotonic()
        assert outbox.publish(task, "frozen") is False
        assert time.monotonic() - start < limit


def test_a_worker_starting_with_the_broker_down_does_not_fail():
    with broker_refusing():
        heartbeat_on_worker_ready(sender=None)  # logged, not raised


@pytest.mark.django_db(transaction=True)
def test_a_row_held_by_a_sweep_is_not_published_again_on_commit():
    """The commit hook and a sweep can both see a fresh row; only the one that
    holds its lock publishes it (SKIP LOCKED)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers instead")
    outbox.enqueue(task, "once")  # autocommit: published and gone
    assert beats() == ["once"] and not QueuedTask.objects.exists()
    with broker_refusing():
        outbox.enqueue(task, "held")
    (row,) = QueuedTask.objects.all()
    held, release = threading.Event(), threading.Event()

    def sweep_holding_the_row() -> None:
        try:
            with transaction.atomic():
                QueuedTask.objects.select_for_update().get(pk=row.pk)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=sweep_holding_the_row)
    other.start()
    try:
        assert held.wait(10)
        with mock.patch.object(outbox, "_send", wraps=outbox._send) as send:
            outbox._publish_row(row.pk)
        assert send.call_count == 0
    finally:
        release.set()
        other.join()
    assert beats() == ["once"]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_publish_each_row_once():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL; SQLite serialises writers instead")
    with broker_refusing():
        for n in range(40):
            outbox.enqueue(task, f"n{n}")
    assert QueuedTask.objects.count() == 40
    sent: list[str] = []
    lock = threading.Lock()
    real_send = outbox._send

    def counting_send(name, args, options):
        with lock:
            sent.append(args[0])
        time.sleep(0.005)  # long enough for the two sweeps to overlap
        return real_send(name, args, options)

    errors: list[Exception] = []

    def sweep() -> None:
        try:
            outbox.publish_pending()
        except Exception as exc:  # collected: an error here must fail the test
            errors.append(exc)
        finally:
            connection.close()

    with (
        mock.patch.object(outbox, "SWEEP_BATCH_SIZE", 5),
        mock.patch.object(outbox, "_send", counting_send),
    ):
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(sent) == sorted(f"n{n}" for n in range(40))
    assert not QueuedTask.objects.exists()


def test_a_task_no_longer_in_the_code_does_not_block_the_sweep():
    QueuedTask.objects.create(task="cases.tasks.renamed_long_ago", args=[1])
    outbox.enqueue(task, "after-it")
    with mock.patch("navigator.celery.app.send_task") as send_task:
        assert outbox.publish_pending() == {"published": 2, "pending": 0}
    assert send_task.call_args.args == ("cases.tasks.renamed_long_ago",)
    assert beats() == ["after-it"]


def test_a_sweep_capped_by_max_batches_says_what_is_left(monkeypatch):
    monkeypatch.setattr(outbox, "SWEEP_BATCH_SIZE", 2)
    for n in range(5):
        outbox.enqueue(task, f"n{n}")
    assert outbox.publish_pending(max_batches=2) == {"published": 4, "pending": 1}


def test_nothing_publishes_around_the_outbox(settings):
    """Every task is queued through navigator.outbox (decision 0006): a
    ``.delay()`` after a commit is what turned saved writes into 500s."""
    root = Path(settings.BASE_DIR)
    offenders = [
        f"{path.relative_to(root)}: {needle}"
        for package in ("navigator", "cases", "followups", "referrals")
        for path in sorted((root / package).rglob("*.py"))
        if path != root / "navigator" / "outbox.py" and "migrations" not in path.parts
        for needle in (".delay(", ".apply_async(", ".send_task(", "on_commit(")
        if needle in path.read_text()
    ]
    assert offenders == []
