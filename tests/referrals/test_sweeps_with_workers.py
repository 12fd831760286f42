"""The referral sweeps through real Celery processes on PostgreSQL + Redis
(the reminders' harness: ``stack`` starts beat and workers on the test
database, SIGKILLs them mid-run). Emails are counted in the mailbox (files)
and expiries in the status history, not by the rows that claim them."""

from __future__ import annotations

import datetime
import subprocess
import sys

import pytest
from django.db.models import Count
from django.utils import timezone

from navigator.models import AuditEvent, Role
from referrals.models import (
    NoticeKind,
    Referral,
    ReferralNotice,
    ReferralStatus,
    ReferralStatusChange,
)
from tests.factories import PersonFactory, ProgramFactory, member
from tests.followups.test_reminders_with_workers import (  # noqa: F401 (the fixture)
    ROOT,
    WORKER_CONCURRENCY,
    _attempts,
    _mailbox,
    _wait,
    stack,
)
from tests.referrals.factories import partner_of

BATCH = 25


def _world(*, unanswered: int, idle: int) -> None:
    """``unanswered`` requested referrals past their respond-by date (owed a
    notice, not yet an escalation) and ``idle`` accepted ones nobody moved
    for a year (owed expiry), in one program."""
    program = ProgramFactory()
    caseworker = member(program, Role.CASEWORKER, email="cw@example.org")
    people = [PersonFactory(program=program) for _ in range(20)]
    agency = partner_of(program)
    now = timezone.now()
    yesterday = timezone.localtime(now, program.tz).date() - datetime.timedelta(1)

    def row(i: int, **fields) -> Referral:
        return Referral(
            program=program,
            person=people[i % len(people)],
            agency=agency,
            reason="Needs an intake appointment",
            info_classes=["general"],
            created_by=caseworker,
            assigned_to=caseworker,
            requested_at=now,
            **fields,
        )

    Referral.objects.bulk_create(
        [
            row(
                i,
                status=ReferralStatus.REQUESTED,
                status_changed_at=now,
                respond_by=yesterday,
            )
            for i in range(unanswered)
        ]
        + [
            row(
                i,
                status=ReferralStatus.ACCEPTED,
                status_changed_at=now - datetime.timedelta(days=365),
                respond_by=None,
            )
            for i in range(idle)
        ],
        batch_size=500,
    )


def _expired() -> int:
    return Referral.objects.filter(status=ReferralStatus.FAILED).count()


def _assert_each_once(stack, *, unanswered: int, idle: int) -> list[str]:  # noqa: F811
    mails = _mailbox(stack.tmp)
    assert len(mails) == unanswered  # every notice delivered, none twice
    assert len({m.read_text() for m in mails}) == unanswered
    assert (
        ReferralNotice.objects.filter(kind=NoticeKind.NO_RESPONSE).count() == unanswered
    )
    assert not ReferralNotice.objects.filter(kind=NoticeKind.ESCALATED).exists()
    # Each idle referral failed once: one history row, one audit event.
    moves = (
        ReferralStatusChange.objects.values("referral")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert sorted(set(moves)) == [1] and len(moves) == idle
    assert (
        AuditEvent.objects.filter(changes__status=["accepted", "failed"]).count()
        == idle
    )
    attempts = _attempts(stack.tmp)
    assert len(set(attempts)) == unanswered
    return attempts


def _sweep_env(stack) -> None:  # noqa: F811
    stack.env["REFERRAL_SWEEP_SECONDS"] = "1"
    stack.env["REFERRAL_SWEEP_BATCH_SIZE"] = str(BATCH)


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigkilled_workers_lose_and_double_nothing(stack):  # noqa: F811
    unanswered, idle = 800, 800
    _world(unanswered=unanswered, idle=idle)
    _sweep_env(stack)
    stack.beat()
    worker = stack.worker("w1")
    kills = 0
    # Once mid-expiry, once mid-notices: each batch dies with its transaction.
    for what, done, threshold, total in (
        ("expiries", _expired, 150, idle),
        ("emails", lambda: len(_mailbox(stack.tmp)), 150, unanswered),
    ):
        _wait(lambda d=done, t=threshold: d() >= t, 180, f"{threshold} {what}")
        assert done() < total, f"killed too late to prove anything ({what})"
        stack.kill(worker)
        kills += 1
        worker = stack.worker(f"w{kills + 1}")
    _wait(
        lambda: (
            len(_mailbox(stack.tmp)) == unanswered
            and _expired() == idle
            and ReferralNotice.objects.count() == unanswered
        ),
        300,
        "every notice sent and every idle referral expired",
    )
    attempts = _assert_each_once(stack, unanswered=unanswered, idle=idle)
    # Sends of the batches in flight at the kill are attempted again (same
    # keys: the mailbox dropped them); nothing else repeats an attempt.
    in_flight = WORKER_CONCURRENCY * BATCH
    assert len(attempts) - unanswered <= kills * in_flight
    print(  # noqa: T201 (the run's figures, as the reminders' test prints)
        f"\n{unanswered} notices + {idle} expiries, {kills} SIGKILLs, "
        f"{len(attempts)} send attempts"
    )


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_and_a_manual_sweep_do_each_once(stack):  # noqa: F811
    unanswered, idle = 300, 300
    _world(unanswered=unanswered, idle=idle)
    _sweep_env(stack)
    stack.beat()
    stack.worker("a")
    stack.worker("b")
    manual = subprocess.run(
        [sys.executable, "manage.py", "send_referral_notices", "--batch-size", "10"],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert manual.returncode == 0, manual.stderr
    _wait(
        lambda: ReferralNotice.objects.count() == unanswered and _expired() == idle,
        180,
        "every notice sent and every idle referral expired",
    )
    _wait(lambda: len(_mailbox(stack.tmp)) == unanswered, 30, "the mailbox")
    attempts = _assert_each_once(stack, unanswered=unanswered, idle=idle)
    # Without crashes not even an attempt repeats: SKIP LOCKED hands each
    # referral to one sweep, and the unique notice stops a second sender.
    assert len(attempts) == unanswered
