"""Filter types every list shares, on its page and in the API (django-filter).

A list's filters come from the query string, which anyone can write: each
type here turns every value it cannot use into an error naming the filter
(a 400 from the API, a form error on the page), never a database error.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from navigator.api.fields import ISO_DATE, ISO_DATETIME
from navigator.api.serializers import MAX_ID

if TYPE_CHECKING:
    # Type-only: a form field's error message may be a lazy translation.
    from django_stubs_ext import StrOrPromise

# Offsets in use run from UTC-12:00 to UTC+14:00 (IANA time zone database);
# PostgreSQL refuses anything from 16 hours on ("time zone displacement out
# of range"), although RFC 3339 allows up to 23:59.
MAX_UTC_OFFSET = datetime.timedelta(hours=14)
OFFSET_MESSAGE = "Give a UTC offset between -14:00 and +14:00."
YEARS_MESSAGE = "Give a date and time between the years 1 and 9999."


class WholeNumberFilter(django_filters.NumberFilter):
    """A whole number; NumberFilter takes decimals.

    NumberFilter's DecimalField took ``2.5`` (a typo, not 3) and, with a step,
    failed on ``1e400`` (``Decimal % 1`` cannot be computed: a 500).
    ``forms.IntegerField`` refuses both, and ``nan`` / ``inf``, as "Enter a
    whole number."
    """

    field_class = forms.IntegerField


class IdFilter(WholeNumberFilter):
    """A whole, positive id that fits a bigint.

    ``?person=1e57`` once overflowed SQLite's integer (a 500 on the page and
    the API alike).
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class InstantField(IsoDateTimeField):
    """An ISO date-time that is a real instant, with a real UTC offset.

    Without an offset it is read in the active (program) time zone.
    ``0001-01-01T00:00+14:00`` parses, but is before year 1 in UTC, and a
    time near 9999-12-31 read in a zone west of UTC is after year 9999 there:
    converting either for the query raised OverflowError. An offset of
    +16:00 parses too, and PostgreSQL refused it (DataError): both were 500s.
    """

    def to_python(self, value):
        _check_spelling(value, ISO_DATETIME, self.error_messages["invalid"])
        value = super().to_python(value)
        if value is None:
            return value
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError(OFFSET_MESSAGE, code="out_of_range")
        try:
            value.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(YEARS_MESSAGE, code="out_of_range") from None
        return value


def _check_spelling(value: object, pattern: str, message: StrOrPromise) -> None:
    # The parsers take more spellings than the schema gives (fromisoformat:
    # "20260101", a bare hour; DateField: "1/2/2026"); a filter takes the
    # one its schema shows, so clients, pages and the schema agree.
    text = value.strip() if isinstance(value, str) else ""
    if text and not re.fullmatch(pattern, text):
        raise ValidationError(message, code="invalid")


@extend_schema_field(
    {
        "type": "string",
        "pattern": ISO_DATETIME,
        "description": "ISO 8601 date and time. Without a UTC offset, in your "
        "program's time zone; an offset must be within -14:00 and +14:00.",
    }
)
class InstantFilter(django_filters.IsoDateTimeFilter):
    field_class = InstantField


class IsoDateField(forms.DateField):
    """``YYYY-MM-DD``, what ``<input type="date">`` sends and the schema says."""

    def to_python(self, value):
        _check_spelling(value, ISO_DATE, self.error_messages["invalid"])
        return super().to_python(value)


class IsoDateFilter(django_filters.DateFilter):
    field_class = IsoDateField


class LocalDayFilter(IsoDateFilter):
    """A day in the active time zone (the program's), as a range of instants.

    ``started_at__date__gte`` turns every row's time into a local date before
    comparing, which no index can serve: the encounter list filtered to one
    month read the program's whole history (120 ms just to count it at
    600,000 encounters). The day's first instant compares with the column.
    ``until=True`` includes the whole day given.
    """

    def __init__(self, *args, until: bool = False, **kwargs) -> None:
        self.until = until
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        try:
            day = value + datetime.timedelta(days=1) if self.until else value
            bound = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
            bound.astimezone(datetime.UTC)
        except OverflowError:
            # Past the calendar's ends: every time is within the bound.
            return qs
        lookup = "lt" if self.until else "gte"
        return qs.filter(**{f"{self.field_name}__{lookup}": bound})


class AnyYesNoSelect(forms.Select):
    """``true`` / ``false`` as in the API, shown as Any / Yes / No, or as
    ``labels`` (any, true, false) that say what they mean for the filter."""

    def __init__(
        self,
        attrs: dict[str, str] | None = None,
        labels: tuple[str, str, str] = ("Any", "Yes", "No"),
    ) -> None:
        anything, yes, no = labels
        super().__init__(attrs, choices=[("", anything), ("true", yes), ("false", no)])

    def format_value(self, value):
        return super().format_value({True: "true", False: "false"}.get(value, value))


class StrictBooleanField(forms.NullBooleanField):
    """``true`` / ``false`` (or 1 / 0); anything else is named as an error.

    django-filter's BooleanFilter reads ``?overdue=maybe`` as "not given" and
    quietly widens the list.
    """

    widget = AnyYesNoSelect
    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        try:
            return self._VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError("Use true or false.", code="invalid") from None

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField
