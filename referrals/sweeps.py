"""The referral sweeps: a referral nobody answered, or nobody moved, is
noticed, never silently forgotten (issue 9).

- No response: a referral still ``requested`` once its respond-by date has
  passed in its program's time zone (the local day after ``respond_by``)
  tells its assigned caseworker (or, unassigned, its sender) once; and
  ``ReferralSettings.escalate_after_days`` local days later, if still
  requested, the program's managers once.
- Expiry: a referral idle in a non-final state (requested, accepted,
  in-progress, on-hold) for more than ``expire_after_days`` since its last
  move fails with reason "expired" (``referrals.services.referral_expire``).

Exactly once (docs/decisions/0012-referral-sweeps.md, after 0003): the
database is the truth; each batch is one transaction that claims referrals
with ``SELECT … FOR UPDATE SKIP LOCKED``, inserts the ``ReferralNotice``
(unique per referral and kind: whoever inserts it sends it)
and sends, with an idempotency key the same on every retry, before it
commits. A worker killed mid-batch rolls the notices back, and the next
sweep sends again under the same keys, which the mail backends drop.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from followups import channels
from navigator.links import absolute_url
from navigator.models import Program, User
from navigator.selectors import managers_of, staff_users_of
from referrals.lifecycle import AWAITING_RESPONSE, OPEN
from referrals.models import (
    NoticeKind,
    Referral,
    ReferralNotice,
    ReferralSettings,
    ReferralStatus,
)
from referrals.selectors import referral_settings_by_program
from referrals.services import referral_expire

log = logging.getLogger(__name__)

# Idle-expiry applies to every open state but a draft (never sent: nobody
# is waiting on it). FHIR R4 Task "failed" is the only automatic move.
EXPIRABLE = OPEN - {ReferralStatus.DRAFT}


# --- what is due -------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    """Every program's local date and referral settings, as of ``now``."""

    now: datetime.datetime
    today: dict[int, datetime.date]
    config: dict[int, ReferralSettings]

    @classmethod
    def load(cls, now: datetime.datetime) -> _Rules:
        programs = list(Program.objects.all())
        return cls(
            now=now,
            today={p.pk: timezone.localtime(now, p.tz).date() for p in programs},
            config=referral_settings_by_program(programs=programs),
        )

    def grouped(self, key: Callable[[int], Any]) -> dict[Any, list[int]]:
        """Program ids by ``key(program_id)``: a handful of groups (local
        dates, settings values), so a due-query is a few ORed terms."""
        groups: dict[Any, list[int]] = defaultdict(list)
        for program_id in self.today:
            groups[key(program_id)].append(program_id)
        return groups


def _any(terms: Iterable[Q]) -> Q:
    combined = Q(pk__in=[])
    for term in terms:
        combined |= term
    return combined


def _no_response_due(rules: _Rules) -> Q:
    # The respond-by day is the program's: due from the local day after it.
    groups = rules.grouped(lambda p: rules.today[p])
    return _any(
        Q(program_id__in=ids, respond_by__lt=day) for day, ids in groups.items()
    )


def _escalation_due(rules: _Rules) -> Q:
    # ``escalate_after_days`` local days after the no-response notice was
    # due (the day after respond-by), whether or not it could be delivered.
    def cutoff(program_id: int) -> datetime.date:
        days = rules.config[program_id].escalate_after_days
        return rules.today[program_id] - datetime.timedelta(days=days)

    groups = rules.grouped(cutoff)
    return _any(
        Q(program_id__in=ids, respond_by__lt=day) for day, ids in groups.items()
    )


def _expiry_cutoff(rules: _Rules, program_id: int) -> datetime.datetime:
    days = rules.config[program_id].expire_after_days
    return rules.now - datetime.timedelta(days=days)


def _expiry_due(rules: _Rules) -> Q:
    groups = rules.grouped(lambda p: _expiry_cutoff(rules, p))
    return _any(
        Q(program_id__in=ids, status_changed_at__lt=cutoff)
        for cutoff, ids in groups.items()
    )


def _candidates(kind: str, rules: _Rules) -> Q:
    if kind == NoticeKind.NO_RESPONSE:
        return Q(status__in=AWAITING_RESPONSE) & _no_response_due(rules)
    return Q(status__in=AWAITING_RESPONSE) & _escalation_due(rules)


def _notice_pending(kind: str, rules: _Rules):
    """Referrals owed a ``kind`` notice: due, not sent, person not deleted
    (nobody can open a deleted person's referral)."""
    return (
        Referral.objects.filter(_candidates(kind, rules))
        .filter(person__deleted_at__isnull=True)
        .exclude(
            Exists(ReferralNotice.objects.filter(referral=OuterRef("pk"), kind=kind))
        )
    )


def _expiry_pending(rules: _Rules):
    return Referral.objects.filter(status__in=EXPIRABLE).filter(_expiry_due(rules))


def anything_due(now: datetime.datetime | None = None) -> bool:
    """Is there work for a sweep? (The dispatcher asks before fanning out.)"""
    rules = _Rules.load(now or timezone.now())
    return (
        _expiry_pending(rules).exists()
        or _notice_pending(NoticeKind.NO_RESPONSE, rules).exists()
        or _notice_pending(NoticeKind.ESCALATED, rules).exists()
    )


def _claim(qs, *, limit: int, skip: set[int]) -> list[Referral]:
    """Lock up to ``limit`` referrals no other sweep holds (SKIP LOCKED)."""
    return list(
        qs.exclude(pk__in=skip)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("program", "assigned_to", "created_by")
        .order_by("pk")[:limit]
    )


# --- what is sent ------------------------------------------------------------


def referral_path(referral_id: int) -> str:
    """The referral's page (the pages of issue 9 name it ``referral-detail``)."""
    try:
        return reverse("referral-detail", args=[referral_id])
    except NoReverseMatch:  # before the referral pages are mounted
        return f"/referrals/{referral_id}/"


def notice_text(
    kind: str, referral: Referral, config: ReferralSettings
) -> tuple[str, str]:
    """(subject, body). No health details: an email leaves the system, so it
    names no person, agency or service (an agency's kind alone can reveal
    the care, e.g. a detox): only that a referral waits, and the link."""
    link = absolute_url(referral_path(referral.pk))
    if kind == NoticeKind.NO_RESPONSE:
        return (
            "A referral has had no answer",
            "A referral you sent has had no answer by its respond-by date: "
            f"{link}\n\nOpen it to call the agency, or send the referral elsewhere.",
        )
    days = config.escalate_after_days
    return (
        "A referral in your program has had no answer",
        f"A referral in your program has had no answer for {days} "
        f"day{'s' if days != 1 else ''} after its respond-by date: {link}",
    )


def notice_key(*, referral_id: int, kind: str, recipient: str) -> str:
    """Stable across retries (a rolled-back notice gets a new row id, so the
    key is built on the referral and the kind, unique together)."""
    digest = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:16]
    return f"navigator-referral-{referral_id}-{kind}-{digest}"


def _recipients(kind: str, referrals: list[Referral]) -> dict[int, list[User]]:
    """Who is told, per referral: for no response, the assigned caseworker
    (or, unassigned, the sender) while still staff of the program; for an
    escalation, the program's managers."""
    program_ids = {r.program_id for r in referrals}
    if kind == NoticeKind.ESCALATED:
        by_program: dict[int, list[User]] = defaultdict(list)
        for membership in managers_of(program_ids=program_ids):
            by_program[membership.program_id].append(membership.user)
        return {r.pk: by_program[r.program_id] for r in referrals}
    staff: dict[int, set[int]] = {
        program_id: set(
            staff_users_of(program_ids=[program_id]).values_list("pk", flat=True)
        )
        for program_id in program_ids
    }
    found: dict[int, list[User]] = {}
    for referral in referrals:
        user = referral.assigned_to or referral.created_by
        keep = user.is_active and user.pk in staff[referral.program_id]
        found[referral.pk] = [user] if keep else []
    return found


def _insert_notice(referral_id: int, kind: str) -> bool:
    """Record the notice unless one exists (or another sweep's insert of it
    commits first). True when this transaction owns it, and so sends it."""
    try:
        with transaction.atomic():  # a savepoint: the batch goes on
            ReferralNotice.objects.create(referral_id=referral_id, kind=kind)
    except IntegrityError:  # referral_notice_once: someone else sent it
        return False
    return True


def _notify(
    kind: str, referral: Referral, users: list[User], config: ReferralSettings
) -> bool:
    """Insert the notice and send it, in a savepoint: a send that fails
    leaves no notice, so the next sweep tries again (with the same keys)."""
    subject, body = notice_text(kind, referral, config)
    with transaction.atomic():
        if not _insert_notice(referral.pk, kind):
            return False
        # The notice is derived data, as a reminder is (not audited); with
        # nobody to reach it is still recorded, and the escalation follows.
        for user in users:
            if not user.email:
                continue
            channels.send_email(
                to=user.email,
                subject=subject,
                body=body,
                key=notice_key(
                    referral_id=referral.pk, kind=kind, recipient=user.email
                ),
            )
    return True


# --- the batches -------------------------------------------------------------


@dataclass
class _Batch:
    claimed: int = 0
    done: int = 0
    failed: int = 0


def notify_batch(kind: str, rules: _Rules, *, limit: int, skip: set[int]) -> _Batch:
    """One transaction: claim, record and send up to ``limit`` notices.

    The row locks are held while sending, so a referral's own moves wait
    for the batch (a second or two): no notice goes out about a referral
    someone has just answered.
    """
    stats = _Batch()
    with transaction.atomic():
        referrals = _claim(_notice_pending(kind, rules), limit=limit, skip=skip)
        stats.claimed = len(referrals)
        if not referrals:
            return stats
        recipients = _recipients(kind, referrals)
        for referral in referrals:
            skip.add(referral.pk)
            try:
                sent = _notify(
                    kind,
                    referral,
                    recipients[referral.pk],
                    rules.config[referral.program_id],
                )
            except (
                Exception
            ) as exc:  # a provider's failure of any kind: retried next sweep
                stats.failed += 1
                log.warning(
                    "%s notice of referral %s failed: %s: %s",
                    kind,
                    referral.pk,
                    type(exc).__name__,
                    exc,
                )
                continue
            stats.done += sent
    return stats


def expire_batch(rules: _Rules, *, limit: int, skip: set[int]) -> _Batch:
    """One transaction: claim up to ``limit`` idle referrals and expire each
    through the service (which re-checks under the lock: idempotent)."""
    stats = _Batch()
    with transaction.atomic():
        referrals = _claim(_expiry_pending(rules), limit=limit, skip=skip)
        stats.claimed = len(referrals)
        for referral in referrals:
            skip.add(referral.pk)
            try:
                expired = referral_expire(
                    referral_id=referral.pk,
                    idle_since=_expiry_cutoff(rules, referral.program_id),
                )
            except Exception as exc:  # one bad row must not stop the others
                stats.failed += 1
                log.warning(
                    "expiry of referral %s failed: %s: %s",
                    referral.pk,
                    type(exc).__name__,
                    exc,
                )
                continue
            stats.done += expired
    return stats


def sweep(
    *,
    now: datetime.datetime | None = None,
    batch_size: int | None = None,
    max_batches: int = 50,
) -> dict[str, int]:
    """Expire idle referrals, then send the notices due; batch by batch,
    each committed on its own. Safe beside other sweeps (SKIP LOCKED) and
    after any crash (the notices are unique; the keys drop a resend)."""
    rules = _Rules.load(now or timezone.now())
    limit = batch_size or settings.REFERRAL_SWEEP_BATCH_SIZE
    stats = {"expired": 0, "no_response": 0, "escalated": 0, "failed": 0}
    for job in ("expired", NoticeKind.NO_RESPONSE, NoticeKind.ESCALATED):
        # Rows that failed in this run are not claimed again until the next.
        skip: set[int] = set()
        for _ in range(max_batches):
            if job == "expired":
                batch = expire_batch(rules, limit=limit, skip=skip)
            else:
                batch = notify_batch(job, rules, limit=limit, skip=skip)
            stats[str(job)] += batch.done
            stats["failed"] += batch.failed
            if batch.claimed < limit:
                break
    return stats
