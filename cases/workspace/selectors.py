"""Reads that join several features: the person timeline.

Each feature's own reads stay in its selectors (``cases.selectors``,
``followups.selectors``); what puts them side by side lives here, above them
(docs/decisions/0010-layers.md).
"""

from __future__ import annotations

import datetime
from typing import Literal, NotRequired, TypedDict

from django.utils import timezone

from cases.models import Encounter, Person
from followups.models import Followup
from followups.selectors import followup_is_overdue, followup_list_for_person
from referrals.models import Referral
from referrals.selectors import person_referrals, referral_is_overdue


class TimelineEntry(TypedDict):
    """One entry of a person's timeline."""

    kind: Literal["encounter", "followup", "referral"]
    at: datetime.datetime
    object: Encounter | Followup | Referral
    # Follow-ups: open past its due time; referrals: no answer by the
    # respond-by date.
    overdue: NotRequired[bool]
    # Set by the person page: the templates that show the entry.
    templates: NotRequired[list[str]]


def person_timeline(*, person: Person) -> list[TimelineEntry]:
    """Everything that happened with a person, newest first.

    Encounters, follow-ups and referrals (at when they were made);
    screenings join as they exist. Each entry: ``{"kind", "at", "object"}``; a follow-up's ``at`` is
    when it was closed, or its due time while open (upcoming ones come first),
    and its entry says whether it is ``overdue``.
    """
    encounters = (
        person.encounters.filter(deleted_at__isnull=True)
        .select_related("created_by")
        .prefetch_related("navigators")
        .order_by("-started_at", "-id")
    )
    entries: list[TimelineEntry] = [
        {"kind": "encounter", "at": e.started_at, "object": e} for e in encounters
    ]
    now = timezone.now()
    entries += [
        {
            "kind": "followup",
            "at": f.completed_at or f.due_at,
            "object": f,
            "overdue": followup_is_overdue(f, now=now),
        }
        for f in followup_list_for_person(person=person)
    ]
    entries += [
        {
            "kind": "referral",
            "at": r.created_at,
            "object": r,
            "overdue": referral_is_overdue(r),
        }
        for r in person_referrals(person=person)
    ]
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries
