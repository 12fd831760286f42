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
from django.db.models.functions import Concat
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
from navigator.models import Membership, Program, Role, User

log = logging.getLogger(__name__)


def _settings(program: Program) -> FollowupSettings:
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
    person = followup.person
    return bool(person.sms_consent and person.phone and not person.is_deleted)


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
        managers = list(
            Membership.objects.filter(
                program=config.program,
                role=Role.PROGRAM_MANAGER,
                is_active=True,
                user__is_active=True,
            ).values_list("user_id", flat=True)
        )
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


def _recipients(reminder: Reminder) -> list[tuple[str, str]]:
    """(channel, address) pairs for this reminder, by preference and consent."""
    if reminder.kind == ReminderKind.PERSON:
        person = reminder.recipient_person
        return [(DeliveryChannel.SMS, person.phone)] if person.phone else []
    user = reminder.recipient_user
    pref = NotificationPreference.objects.filter(user=user).first()
    if (
        pref is not None
        and pref.channel == NotificationChannel.SMS
        and pref.phone
        and reminder.kind == ReminderKind.DUE_SOON
    ):
        return [(DeliveryChannel.SMS, pref.phone)]
    return [(DeliveryChannel.EMAIL, user.email)] if user.email else []


def _message(reminder: Reminder, now: datetime.datetime) -> tuple[str, str] | None:
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
    if reminder.kind == ReminderKind.ESCALATION:
        return texts.escalation(followup, max(1, (now - followup.due_at).days))
    if not person_may_be_reminded(followup):
        return None
    body = texts.person_reminder(followup, _settings(followup.program))
    return body, body


def deliver(reminder_id: int, now: datetime.datetime | None = None) -> str:
    """Send one claimed reminder on each of its channels, once. Returns the outcome."""
    now = now or timezone.now()
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "followup",
                "followup__program",
                "followup__person",
                "followup__assigned_to",
                "recipient_user",
                "recipient_person",
                "program",
            )
            .filter(pk=reminder_id, status=ReminderStatus.PENDING)
            .first()
        )
        if reminder is None:
            return "skipped"  # sent, cancelled, or another worker holds it
        if reminder.kind == ReminderKind.PERSON:
            config = _settings(reminder.program)
            if in_quiet_hours(config, now):
                reminder.send_after = after_quiet_hours(config, now)
                reminder.claimed_until = None
                reminder.attempts = F("attempts") - 1  # deferring is not an attempt
                reminder.save(update_fields=["send_after", "claimed_until", "attempts"])
                return "deferred"
        message = _message(reminder, now)
        if message is None:
            reminder.status = ReminderStatus.CANCELLED
            reminder.claimed_until = None
            reminder.save(update_fields=["status", "claimed_until"])
            return "obsolete"
        subject, body = message
        errors = []
        for channel, address in _recipients(reminder):
            error = _deliver_one(reminder, channel, address, subject, body)
            if error:
                errors.append(error)
        reminder.claimed_until = None
        if errors:
            reminder.last_error = "; ".join(errors)[:2000]
            # Back off: 1, 2, 4, 8 … minutes; claim_due fails it after max attempts.
            reminder.send_after = now + datetime.timedelta(
                minutes=2 ** (reminder.attempts - 1)
            )
            reminder.save(update_fields=["last_error", "send_after", "claimed_until"])
            return "retry"
        reminder.status = ReminderStatus.SENT
        reminder.sent_at = now
        reminder.save(update_fields=["status", "sent_at", "claimed_until"])
        return "sent"


def _deliver_one(
    reminder: Reminder, channel: str, address: str, subject: str, body: str
) -> str:
    """Send on one channel unless already sent; return an error text or ''."""
    delivery, _ = Delivery.objects.get_or_create(
        reminder=reminder,
        channel=channel,
        recipient=address,
        defaults={"summary": subject[:200]},
    )
    if delivery.status == DeliveryStatus.SENT:
        return ""
    key = channels.delivery_key(
        reminder_id=reminder.pk, channel=channel, recipient=address
    )
    try:
        if channel == DeliveryChannel.EMAIL:
            provider_id = channels.send_email(
                to=address, subject=subject, body=body, key=key
            )
        else:
            provider_id = channels.send_sms(to=address, body=body, key=key)
    except Exception as exc:  # a provider's failure of any kind is recorded and retried
        delivery.error = f"{exc.__class__.__name__}: {exc}"[:2000]
        delivery.save(update_fields=["error"])
        log.warning("delivery %s failed: %s", delivery.pk, delivery.error)
        return delivery.error
    delivery.status = DeliveryStatus.SENT
    delivery.provider_id = provider_id[:200]
    delivery.sent_at = timezone.now()
    delivery.error = ""
    delivery.save(update_fields=["status", "provider_id", "sent_at", "error"])
    return ""


def sweep(
    *,
    now: datetime.datetime | None = None,
    batch_size: int | None = None,
    dispatch: Callable[[list[int]], None] | None = None,
    max_batches: int = 50,
) -> dict[str, int]:
    """Plan digests/escalations, claim due reminders, deliver (or dispatch) them.

    ``dispatch`` hands each claimed batch to workers (the Celery sweep);
    without it the batch is delivered here (the ``send_due_reminders`` command).
    """
    batch_size = batch_size or settings.REMINDER_BATCH_SIZE
    stats = {"claimed": 0, "sent": 0, "other": 0}
    for _ in range(max_batches):
        ids = claim_due(limit=batch_size, now=now)
        if not ids:
            break
        stats["claimed"] += len(ids)
        if dispatch is not None:
            dispatch(ids)
            continue
        for reminder_id in ids:
            outcome = deliver(reminder_id, now=now)
            stats["sent" if outcome == "sent" else "other"] += 1
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
