"""Shared set-up for follow-up tests."""

from __future__ import annotations

import datetime

from django.utils import timezone

from followups import services
from followups.models import Followup
from navigator.models import User
from tests.factories import PersonFactory


def schedule(
    by: User,
    *,
    person=None,
    in_minutes: int = 120,
    due_at: datetime.datetime | None = None,
    **kwargs,
) -> Followup:
    if person is None:
        membership = by.memberships.first()
        assert membership is not None, "schedule(by=...) needs a staff member"
        person = PersonFactory(program=membership.program)
    return services.followup_schedule(
        by=by,
        person=person,
        due_at=due_at or timezone.now() + datetime.timedelta(minutes=in_minutes),
        method=kwargs.pop("method", "phone"),
        **kwargs,
    )
