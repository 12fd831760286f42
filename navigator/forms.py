"""Form field types every app's pages share.

Apps use each other's services and selectors, never their forms
(DESIGN.md, "Architecture"): a field type two features need lives here, in
the platform, so follow-ups do not import the people and encounter forms.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(
    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
)


def local_now_or(moment: datetime.datetime | None, time_zone: str) -> datetime.datetime:
    """A moment (default: now) as the wall-clock minute in a program's zone."""
    moment = moment or timezone.now()
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    return local.replace(tzinfo=None, second=0, microsecond=0)


class ProgramLocalDateTimeField(forms.DateTimeField):
    """A wall-clock time as typed into a datetime-local input, left naive.

    The services read a naive time in the record's program's zone (an
    encounter's, a follow-up's), which may differ from the zone this page is
    shown in (a user of programs in two zones).
    """

    def to_python(self, value: Any) -> datetime.datetime | None:
        result = super().to_python(value)
        if result is not None and timezone.is_aware(result):
            result = timezone.make_naive(result)
        return result
