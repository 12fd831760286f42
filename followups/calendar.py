"""A navigator's follow-ups as an iCalendar (RFC 5545) feed.

Event text says when, how and the follow-up number only: calendar apps sync
to phones and third-party clouds, so no name or health detail goes there.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from followups.models import Followup, Method
from followups.texts import followup_url

DURATION = datetime.timedelta(minutes=30)


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _utc(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def followups_ics(followups: Iterable[Followup], *, now: datetime.datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Navigator//Follow-ups//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Navigator follow-ups",
    ]
    for followup in followups:
        urgent = "Urgent f" if followup.priority == "urgent" else "F"
        summary = f"{urgent}ollow-up #{followup.pk} ({Method(followup.method).label})"
        lines += [
            "BEGIN:VEVENT",
            f"UID:followup-{followup.pk}@navigator",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(followup.due_at)}",
            f"DTEND:{_utc(followup.due_at + DURATION)}",
            f"SUMMARY:{_escape(summary)}",
            f"URL:{followup_url(followup.pk)}",
            f"DESCRIPTION:{_escape('Open in Navigator: ' + followup_url(followup.pk))}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
