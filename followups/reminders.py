"""The reminder engine: plan reminder rows, claim due ones, deliver each once.

Failure modes designed for (REFERENCE.md, "Celery + Redis"):
- no ETA tasks: due times live in ``Reminder.send_after``; a periodic sweep
  claims due rows with ``SELECT … FOR UPDATE SKIP LOCKED``;
- a killed worker: the claim (with ``attempts + 1``) is committed before any
  send, and an expired claim is taken again; after REMINDER_MAX_ATTEMPTS the
  reminder is marked failed and shown to managers;
- two workers / two sweeps: SKIP LOCKED hands each row to one of them, the
  row lock is held while sending, ``Delivery`` is unique per (reminder,
  channel, recipient), and the channel gets an idempotency key that is the
  same on every retry.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Concat, Greatest
from django.utils import timezone

from followups import channels, texts
from followups.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Followup,
    FollowupSettings,
    NotificationChannel,
    NotificationPreference,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Status,
)
from followups.selectors import person_reminder_possible
from navigator.models import Program, User
from navigator.selectors import managers_of

log = logging.getLogger(__name__)


def _settings(program: Program) -> FollowupSettings:
    # The engine's own writes of a program's default settings (here and in
    # ensure_settings_for_all_programs) are derived data, not audited: the
    # row holds only the defaults until a manager saves it (audited).
    config, _ = FollowupSettings.objects.get_or_create(program=program)
    return config


def _preference(user: User) -> str:
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref.channel if pref else NotificationChannel.EMAIL


def in_quiet_hours(config: FollowupSettings, when: datetime.datetime) -> bool:
    local = timezone.localtime(when, config.program.tz).time()
    start, end = config.quiet_hours_start, config.quiet_hours_end
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the window crosses midnight


def after_quiet_hours(
    config: FollowupSettings, when: datetime.datetime
) -> datetime.datetime:
    """``when``, or the end of the quiet hours it falls in (program-local)."""
    if not in_quiet_hours(config, when):
        return when
    tz = config.program.tz
    local = timezone.localtime(when, tz)
    end = datetime.datetime.combine(local.date(), config.quiet_hours_end, tzinfo=tz)
    if end <= local:
        end = datetime.datetime.combine(
            local.date() + datetime.timedelta(days=1), config.quiet_hours_end, tzinfo=tz
        )
    return end


def person_may_be_reminded(followup: Followup) -> bool:
    """Only with the person's recorded consent to texts (and a number)."""
    return person_reminder_possible(person=followup.person)


def plan_for_followup(followup: Followup, now: datetime.datetime | None = None) -> None:
    """(Re)create the pending reminders of a scheduled follow-up's generation.

    Runs inside the service's transaction: if it rolls back, so do these rows.
    """
    now = now or timezone.now()
    Reminder.objects.filter(followup=followup, status=ReminderStatus.PENDING).exclude(
        generation=followup.generation
    ).update(status=ReminderStatus.CANCELLED)
    if followup.status != Status.SCHEDULED or followup.due_at <= now:
        return
    config = _settings(followup.program)
    rows = []
    if _preference(followup.assigned_to) != NotificationChannel.DIGEST_ONLY:
        send_after = followup.due_at - datetime.timedelta(
            minutes=config.reminder_lead_minutes
        )
        rows.append(
            Reminder(
                kind=ReminderKind.DUE_SOON,
                program=followup.program,
                followup=followup,
                generation=followup.generation,
                recipient_user=followup.assigned_to,
                send_after=max(send_after, now),
            )
        )
    if followup.remind_person and person_may_be_reminded(followup):
        wanted = followup.due_at - datetime.timedelta(
            minutes=config.person_reminder_lead_minutes
        )
        send_after = after_quiet_hours(config, max(wanted, now))
        if send_after < followup.due_at:
            rows.append(
                Reminder(
                    kind=ReminderKind.PERSON,
                    program=followup.program,
                    followup=followup,
                    generation=followup.generation,
                    recipient_person=followup.person,
                    send_after=send_after,
                )
            )
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)


def cancel_pending(followup: Followup) -> int:
    return Reminder.objects.filter(
        followup=followup, status=ReminderStatus.PENDING
    ).update(status=ReminderStatus.CANCELLED)


def plan_digests(now: datetime.datetime | None = None) -> int:
    """One digest a local day for each navigator with overdue follow-ups,
    once the program's digest hour has passed. Safe to run any number of
    times: the unique (kind, recipient, day) drops repeats."""
    now = now or timezone.now()
    created = 0
    for config in FollowupSettings.objects.select_related("program"):
        local_now = timezone.localtime(now, config.program.tz)
        if local_now.hour < config.digest_hour:
            continue
        overdue = (
            Followup.objects.filter(
                program=config.program, status=Status.SCHEDULED, due_at__lt=now
            )
            .values("assigned_to")
            .annotate(n=Count("id"))
        )
        rows = [
            Reminder(
                kind=ReminderKind.DIGEST,
                program=config.program,
                recipient_user_id=row["assigned_to"],
                digest_date=local_now.date(),
                send_after=now,
            )
            for row in overdue
        ]
        created += len(Reminder.objects.bulk_create(rows, ignore_conflicts=True))
    return created


def plan_escalations(now: datetime.datetime | None = None) -> int:
    """Tell each program manager once about each follow-up overdue too long."""
    now = now or timezone.now()
    created = 0
    for config in FollowupSettings.objects.select_related("program"):
        cutoff = now - datetime.timedelta(days=config.escalate_after_days)
        late = list(
            Followup.objects.filter(
                program=config.program, status=Status.SCHEDULED, due_at__lt=cutoff
            ).values_list("id", "generation")
        )
        if not late:
            continue
        managers = _manager_ids(config.program_id)
        rows = [
            Reminder(
                kind=ReminderKind.ESCALATION,
                program=config.program,
                followup_id=followup_id,
                generation=generation,
                recipient_user_id=manager_id,
                send_after=now,
            )
            for followup_id, generation in late
            for manager_id in managers
        ]
        created += len(Reminder.objects.bulk_create(rows, ignore_conflicts=True))
    return created


def _manager_ids(program_id: int) -> list[int]:
    return list(managers_of(program_ids=[program_id]).values_list("user_id", flat=True))


def plan_attempt_escalation(
    followup: Followup, now: datetime.datetime | None = None
) -> int:
    """Tell each program manager, now, that a follow-up reached its limit of
    unanswered tries. Runs in the attempt's transaction; one per follow-up
    generation and manager (the same unique key as an overdue escalation, so
    a manager already told about this generation is not told twice)."""
    now = now or timezone.now()
    rows = [
        Reminder(
            kind=ReminderKind.ESCALATION,
            program_id=followup.program_id,
            followup=followup,
            generation=followup.generation,
            recipient_user_id=manager_id,
            send_after=now,
        )
        for manager_id in _manager_ids(followup.program_id)
    ]
    return len(Reminder.objects.bulk_create(rows, ignore_conflicts=True))


def claim_due(*, limit: int, now: datetime.datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due reminders; the claim is committed on return.

    Reminders already claimed ``REMINDER_MAX_ATTEMPTS`` times are marked
    failed instead: the broker keeps no redelivery count, the database does.
    """
    now = now or timezone.now()
    lease = now + datetime.timedelta(seconds=settings.REMINDER_CLAIM_SECONDS)
    with transaction.atomic():
        due = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderStatus.PENDING, send_after__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("send_after", "id")
            .values_list("id", "attempts")[:limit]
        )
        exhausted = [
            pk for pk, attempts in due if attempts >= settings.REMINDER_MAX_ATTEMPTS
        ]
        ids = [pk for pk, attempts in due if attempts < settings.REMINDER_MAX_ATTEMPTS]
        if exhausted:
            Reminder.objects.filter(pk__in=exhausted).update(
                status=ReminderStatus.FAILED,
                claimed_until=None,
                last_error=Concat(
                    F("last_error"),
                    Value(
                        f" | gave up after {settings.REMINDER_MAX_ATTEMPTS} attempts"
                    ),
                ),
            )
            Delivery.objects.filter(
                reminder_id__in=exhausted, status=DeliveryStatus.SENDING
            ).update(status=DeliveryStatus.FAILED)
            log.warning("reminders failed after max attempts: %s", exhausted)
        if ids:
            Reminder.objects.filter(pk__in=ids).update(
                attempts=F("attempts") + 1, claimed_until=lease
            )
    return ids


def release_claims(reminder_ids: list[int]) -> int:
    """Undo claims whose batch never reached a worker (the broker refused
    it): the next sweep takes them again, and it was no delivery attempt."""
    return Reminder.objects.filter(
        pk__in=reminder_ids,
        status=ReminderStatus.PENDING,
        claimed_until__isnull=False,
    ).update(attempts=Greatest(F("attempts") - 1, 0), claimed_until=None)


class _Batch:
    """What delivering one batch needs, loaded with a fixed number of queries."""

    def __init__(self, reminders: list[Reminder]) -> None:
        user_ids = {r.recipient_user_id for r in reminders if r.recipient_user_id}
        self.preferences = {
            p.user_id: p
            for p in NotificationPreference.objects.filter(user_id__in=user_ids)
        }
        self.deliveries = {
            (d.reminder_id, d.channel, d.recipient): d
            for d in Delivery.objects.filter(reminder__in=reminders)
        }
        self.configs: dict[int, FollowupSettings] = {}

    def config(self, program: Program) -> FollowupSettings:
        if program.pk not in self.configs:
            self.configs[program.pk] = _settings(program)
        return self.configs[program.pk]

    def recipients(self, reminder: Reminder) -> list[tuple[str, str]]:
        """(channel, address) pairs for this reminder, by preference and consent."""
        # Nothing in the database ties a reminder's kind to its recipient
        # column: a reminder without one has nobody to reach, as one to a
        # person without a phone.
        if reminder.kind == ReminderKind.PERSON:
            person = reminder.recipient_person
            phone = person.phone if person is not None else ""
            return [(DeliveryChannel.SMS, phone)] if phone else []
        user = reminder.recipient_user
        if user is None:
            return []
        pref = self.preferences.get(user.pk)
        if (
            pref is not None
            and pref.channel == NotificationChannel.SMS
            and pref.phone
            and reminder.kind == ReminderKind.DUE_SOON
        ):
            return [(DeliveryChannel.SMS, pref.phone)]
        return [(DeliveryChannel.EMAIL, user.email)] if user.email else []


def _message(
    batch: _Batch, reminder: Reminder, now: datetime.datetime
) -> tuple[str, str] | None:
    """(subject, body) to send, or None when the reminder is obsolete."""
    followup = reminder.followup
    if reminder.kind == ReminderKind.DIGEST:
        overdue = Followup.objects.filter(
            assigned_to=reminder.recipient_user, status=Status.SCHEDULED, due_at__lt=now
        ).select_related("program")
        count = overdue.count()
        if count == 0:
            return None
        return texts.digest(count, overdue.order_by("due_at").first())
    if (
        followup is None
        or followup.status != Status.SCHEDULED
        or followup.generation != reminder.generation
    ):
        return None
    if reminder.kind == ReminderKind.DUE_SOON:
        return texts.due_soon(followup)
    if reminder.kind == ReminderKind.ESCALATION and followup.escalated_at:
        return texts.attempts_escalation(followup, followup.attempts.count())
    if reminder.kind == ReminderKind.ESCALATION:
        return texts.escalation(followup, max(1, (now - followup.due_at).days))
    if not person_may_be_reminded(followup):
        return None
    body = texts.person_reminder(followup, batch.config(followup.program))
    return body, body


def deliver(reminder_id: int, now: datetime.datetime | None = None) -> str:
    """Send one claimed reminder; see deliver_batch."""
    return deliver_batch([reminder_id], now=now).get(reminder_id, "skipped")


def deliver_batch(
    reminder_ids: list[int], now: datetime.datetime | None = None
) -> dict[int, str]:
    """Send claimed reminders on each of their channels, once.

    One transaction holds the batch's row locks while sending, so no other
    worker can send these rows meanwhile. If this process dies mid-batch the
    transaction rolls back and the claims expire; the retry sends with the
    same idempotency keys, which the channels drop. Returns id → outcome
    (sent, retry, obsolete, deferred); ids missing were skipped (already
    done, cancelled, or held by another worker).
    """
    now = now or timezone.now()
    outcomes: dict[int, str] = {}
    with transaction.atomic():
        locked = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "program",
                "followup",
                "followup__program",
                "followup__person",
                "followup__assigned_to",
                "recipient_user",
                "recipient_person",
            )
            .filter(pk__in=reminder_ids, status=ReminderStatus.PENDING)
            .order_by("pk")
        )
        if not locked:
            return outcomes
        batch = _Batch(locked)
        new_deliveries: list[Delivery] = []
        changed_deliveries: list[Delivery] = []
        for reminder in locked:
            outcomes[reminder.pk] = _deliver_reminder(
                batch, reminder, now, new_deliveries, changed_deliveries
            )
        Delivery.objects.bulk_create(new_deliveries)
        for delivery in changed_deliveries:  # retries only: rare
            delivery.save(update_fields=["status", "provider_id", "sent_at", "error"])
        _save_outcomes(locked, outcomes, now)
    return outcomes


def _save_outcomes(
    locked: list[Reminder], outcomes: dict[int, str], now: datetime.datetime
) -> None:
    # The common case, "sent", is one UPDATE for the whole batch (bulk_update's
    # CASE expressions cost more than the sends themselves).
    sent = [pk for pk, outcome in outcomes.items() if outcome == "sent"]
    Reminder.objects.filter(pk__in=sent).update(
        status=ReminderStatus.SENT, sent_at=now, claimed_until=None
    )
    fields = ["status", "claimed_until", "last_error", "send_after", "attempts"]
    for reminder in locked:
        if outcomes[reminder.pk] != "sent":
            reminder.save(update_fields=fields)


def _deliver_reminder(
    batch: _Batch,
    reminder: Reminder,
    now: datetime.datetime,
    new_deliveries: list[Delivery],
    changed_deliveries: list[Delivery],
) -> str:
    reminder.claimed_until = None
    if reminder.kind == ReminderKind.PERSON:
        config = batch.config(reminder.program)
        if in_quiet_hours(config, now):
            reminder.send_after = after_quiet_hours(config, now)
            reminder.attempts = max(0, reminder.attempts - 1)  # deferring is no attempt
            return "deferred"
    message = _message(batch, reminder, now)
    if message is None:
        reminder.status = ReminderStatus.CANCELLED
        return "obsolete"
    subject, body = message
    errors = []
    for channel, address in batch.recipients(reminder):
        delivery = batch.deliveries.get((reminder.pk, channel, address))
        if delivery is None:
            delivery = Delivery(
                reminder=reminder,
                channel=channel,
                recipient=address,
                summary=subject[:200],
            )
            new_deliveries.append(delivery)
        elif delivery.status == DeliveryStatus.SENT:
            continue
        else:
            changed_deliveries.append(delivery)
        error = _send(delivery, reminder, subject, body)
        if error:
            errors.append(error)
    if errors:
        reminder.last_error = "; ".join(errors)[:2000]
        # Back off 1, 2, 4 … minutes; claim_due fails it after the last attempt.
        reminder.send_after = now + datetime.timedelta(
            minutes=2 ** max(0, reminder.attempts - 1)
        )
        return "retry"
    reminder.status = ReminderStatus.SENT
    reminder.sent_at = now
    return "sent"


def _send(delivery: Delivery, reminder: Reminder, subject: str, body: str) -> str:
    """Send one delivery; record the result on it; return an error text or ''."""
    key = channels.delivery_key(
        reminder_id=reminder.pk, channel=delivery.channel, recipient=delivery.recipient
    )
    try:
        if delivery.channel == DeliveryChannel.EMAIL:
            provider_id = channels.send_email(
                to=delivery.recipient, subject=subject, body=body, key=key
            )
        else:
            provider_id = channels.send_sms(to=delivery.recipient, body=body, key=key)
    except Exception as exc:  # a provider's failure of any kind is recorded and retried
        delivery.error = f"{exc.__class__.__name__}: {exc}"[:2000]
        log.warning("delivery of reminder %s failed: %s", reminder.pk, delivery.error)
        return delivery.error
    delivery.status = DeliveryStatus.SENT
    delivery.provider_id = provider_id[:200]
    delivery.sent_at = timezone.now()
    delivery.error = ""
    return ""


def sweep(
    *,
    now: datetime.datetime | None = None,
    batch_size: int | None = None,
    dispatch: Callable[[list[int]], bool] | None = None,
    max_batches: int = 50,
) -> dict[str, int]:
    """Plan digests/escalations, claim due reminders, deliver (or dispatch) them.

    ``dispatch`` hands each claimed batch to workers (the Celery sweep) and
    says whether it could; without it the batch is delivered here (the
    ``send_due_reminders`` command).
    """
    batch_size = batch_size or settings.REMINDER_BATCH_SIZE
    stats = {"claimed": 0, "sent": 0, "other": 0}
    for _ in range(max_batches):
        ids = claim_due(limit=batch_size, now=now)
        if not ids:
            break
        stats["claimed"] += len(ids)
        if dispatch is not None:
            if not dispatch(ids):
                break  # the broker is down; the released claims wait for it
            continue
        outcomes = deliver_batch(ids, now=now)
        sent = sum(1 for outcome in outcomes.values() if outcome == "sent")
        stats["sent"] += sent
        stats["other"] += len(ids) - sent
    return stats


def plan_periodic(now: datetime.datetime | None = None) -> dict[str, int]:
    ensure_settings_for_all_programs()
    return {"digests": plan_digests(now), "escalations": plan_escalations(now)}


def ensure_settings_for_all_programs() -> None:
    existing = set(FollowupSettings.objects.values_list("program_id", flat=True))
    missing = Program.objects.exclude(pk__in=existing)
    for program in missing:
        try:
            FollowupSettings.objects.get_or_create(program=program)
        except IntegrityError:  # created concurrently by another worker: fine
            continue
