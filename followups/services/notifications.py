"""The user's own notifications: reminder preference, calendar feed, and
the audit of reminder deliveries shown to managers."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from followups.models import (
    CalendarFeed,
    Delivery,
    NotificationPreference,
    ReminderKind,
)
from followups.selectors import reminders_access
from navigator import disclosure
from navigator.audit import audit_record, diff, snapshot
from navigator.errors import DomainError
from navigator.models import AuditAction, User
from navigator.selectors import staff_program_ids_for
from navigator.services import validate_model

PREFERENCE_FIELDS = ("channel", "phone")


@transaction.atomic
def notification_preference_set(
    *, by: User, channel: str, phone: str = ""
) -> NotificationPreference:
    """How reminders reach the user. Audited (issue 8): the phone number is
    the user's personal data, and a change decides where reminders go."""
    reminders_access(user=by)
    pref = NotificationPreference.objects.select_for_update().filter(
        user=by
    ).first() or NotificationPreference(user=by)
    created = pref.pk is None
    before = {} if created else snapshot(pref, PREFERENCE_FIELDS)
    pref.channel = channel
    pref.phone = phone
    validate_model(pref, exclude=["user"])
    if channel == "sms" and not phone:
        raise DomainError.for_field("phone", "Text reminders need a phone number.")
    changes = diff(before, snapshot(pref, PREFERENCE_FIELDS))
    if not changes and not created:
        return pref
    pref.save()
    # The user's own setting, in no one program.
    audit_record(
        actor=by,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=pref,
        person_id=None,
        program_id=None,
        changes=changes,
    )
    return pref


def deliveries_shown(*, by: User, deliveries: Iterable[Delivery]) -> None:
    """A reminder to the person served shows (masked) how to reach them:
    audited as part of their record. Staff reminders name no one.
    ``reminder__followup`` must be loaded (delivery_list_for_manager)."""
    with disclosure.batch() as recorder:
        for delivery in deliveries:
            reminder = delivery.reminder
            if reminder.kind != ReminderKind.PERSON or reminder.followup is None:
                continue
            recorder.note(
                by=by,
                person_id=reminder.followup.person_id,
                program_id=reminder.program_id,
                kind=disclosure.DELIVERY,
                object_id=delivery.pk,
                listed=True,
            )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _audit_feed(
    by: User, action: str, feed: CalendarFeed, changes: dict, reason: str = ""
) -> None:
    # The feed spans all the user's programs, so no one program is named.
    audit_record(
        actor=by,
        action=action,
        obj=feed,
        person_id=None,
        program_id=None,
        changes=changes,
        reason=reason,
    )


def _revoke_feeds(*, by: User, reason: str) -> int:
    now = timezone.now()
    feeds = list(
        CalendarFeed.objects.select_for_update().filter(
            user=by, revoked_at__isnull=True
        )
    )
    for feed in feeds:
        before = snapshot(feed, ["revoked_at"])
        feed.revoked_at = now
        feed.save(update_fields=["revoked_at"])
        # A revocation ends the link for good: the feed's "soft delete".
        _audit_feed(
            by,
            AuditAction.DELETE,
            feed,
            diff(before, snapshot(feed, ["revoked_at"])),
            reason,
        )
    return len(feeds)


@transaction.atomic
def calendar_feed_create(*, by: User) -> tuple[CalendarFeed, str]:
    """A new private feed URL token (shown once); older feeds are revoked.

    Audited, and so is each revocation: the link shows the user's schedule to
    whoever holds it. The token and its hash stay out of the audit log.
    """
    reminders_access(user=by)
    _revoke_feeds(by=by, reason="A new calendar link replaced it.")
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=by, token_hash=_hash(token))
    _audit_feed(by, AuditAction.CREATE, feed, {"user_id": [None, by.pk]})
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, by: User) -> int:
    reminders_access(user=by)
    return _revoke_feeds(by=by, reason="Revoked by its owner.")


def calendar_feed_user(*, token: str) -> User | None:
    """Whose follow-ups a feed token shows; None for an unknown or revoked
    token, and for a user who no longer works with anyone's records (every
    staff membership deactivated, or the account): their link stops working,
    rather than answering an empty calendar."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is None or not staff_program_ids_for(user=feed.user):
        return None
    return feed.user
