"""What reminders say. No health information ever: no concern, diagnosis,
screening, narrative, disposition or purpose text, and no name of the person
served in messages to staff (an email or SMS can be read over a shoulder or
on a lock screen). Staff open the linked follow-up, behind login, for the rest.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from followups.models import Followup, FollowupSettings, Method
from navigator.links import absolute_url


def followup_url(followup_id: int) -> str:
    return absolute_url(reverse("followup-detail", args=[followup_id]))


def today_url() -> str:
    return absolute_url(reverse("today"))


def _local(when: datetime.datetime, followup: Followup) -> str:
    local = timezone.localtime(when, followup.program.tz)
    return local.strftime("%a %b %-d, %-I:%M %p %Z")


def due_soon(followup: Followup) -> tuple[str, str]:
    urgent = "Urgent follow-up" if followup.priority == "urgent" else "Follow-up"
    subject = f"{urgent} due {_local(followup.due_at, followup)}"
    body = (
        f"{urgent} #{followup.pk} ({Method(followup.method).label.lower()}) is due "
        f"{_local(followup.due_at, followup)}.\n\nOpen it: {followup_url(followup.pk)}\n"
    )
    return subject, body


def escalation(followup: Followup, days_overdue: int) -> tuple[str, str]:
    subject = f"Follow-up #{followup.pk} is {days_overdue} days overdue"
    body = (
        f"Follow-up #{followup.pk}, assigned to {followup.assigned_to}, was due "
        f"{_local(followup.due_at, followup)} and is still open.\n\n"
        f"Open it: {followup_url(followup.pk)}\n"
    )
    return subject, body


def attempts_escalation(followup: Followup, attempts: int) -> tuple[str, str]:
    subject = f"Follow-up #{followup.pk}: {attempts} tries without reaching anyone"
    body = (
        f"Follow-up #{followup.pk}, assigned to {followup.assigned_to}, was tried "
        f"{attempts} times without reaching anyone and is still open.\n\n"
        f"Open it: {followup_url(followup.pk)}\n"
    )
    return subject, body


def digest(count: int, oldest: Followup | None) -> tuple[str, str]:
    subject = f"You have {count} overdue follow-up{'s' if count != 1 else ''}"
    lines = [f"{count} of your follow-ups are overdue."]
    if oldest is not None:
        lines.append(f"The oldest: {followup_url(oldest.pk)}")
    lines.append(f"See them all: {today_url()}")
    return subject, "\n\n".join(lines) + "\n"


def person_reminder(followup: Followup, config: FollowupSettings) -> str:
    """A text to the person served: when, how, and who — nothing else."""
    how = {
        Method.PHONE: "will call you",
        Method.IN_PERSON: "plans to visit you",
        Method.TEXT: "will text you",
        Method.EMAIL: "will email you",
    }[Method(followup.method)]
    return (
        f"Hi, this is {config.sender_name}. We {how} on "
        f"{_local(followup.due_at, followup)}. Reply STOP to opt out."
    )


def mask_recipient(recipient: str) -> str:
    """Enough to recognise an address, not enough to contact or identify.

    ``n***@example.org`` for email, ``***1234`` for a phone number.
    """
    if "@" in recipient:
        local, _, domain = recipient.rpartition("@")
        return f"{local[:1]}***@{domain}"
    digits = [c for c in recipient if c.isdigit()]
    return "***" + "".join(digits[-4:]) if len(digits) > 6 else "***"
