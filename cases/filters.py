"""One set of filters for the pages and the API (django-filter)."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import IsoDateTimeField

from cases import selectors
from cases.models import Concern, Disposition, Encounter, EncounterSource, Person
from cases.models.choices import HousingSituation
from navigator.api.serializers import MAX_ID
from navigator.selectors import program_list_for


class IdFilter(django_filters.NumberFilter):
    """A whole, positive id that fits a bigint.

    NumberFilter takes decimals: ``?person=1.5`` matched person 1, and
    ``?person=1e57`` overflowed SQLite's integer (a 500 on the page and the
    API alike).
    """

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class InstantField(IsoDateTimeField):
    """An ISO date-time that is a real instant in UTC.

    ``0001-01-01T00:00+14:00`` parses, but is before year 1 in UTC, and a
    time near 9999-12-31 without an offset, read in a zone west of UTC, is
    after year 9999 there: SQLite's adapter raised OverflowError (a 500)
    converting such a value for the query.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None:
            try:
                value.astimezone(datetime.UTC)  # aware: read in the active zone
            except OverflowError:
                raise ValidationError(
                    "Give a date and time between the years 1 and 9999.",
                    code="out_of_range",
                ) from None
        return value


class InstantFilter(django_filters.IsoDateTimeFilter):
    field_class = InstantField


class LocalDayFilter(django_filters.DateFilter):
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


def _user_programs(request):
    if request is None:
        from navigator.models import Program

        return Program.objects.none()
    return program_list_for(user=request.user)


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Name or alias",
        method="filter_q",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name or alias",
                "autocomplete": "off",
            }
        ),
    )
    program = django_filters.ModelChoiceFilter(queryset=_user_programs)
    date_of_birth = django_filters.DateFilter(
        widget=forms.DateInput(attrs={"type": "date"})
    )
    # Whole years in a human range, so a typo is a clear field error.
    age_min = django_filters.NumberFilter(
        label="Age from", method="filter_age", min_value=0, max_value=150, step_size=1
    )
    age_max = django_filters.NumberFilter(
        label="Age to", method="filter_age", min_value=0, max_value=150, step_size=1
    )
    housing_situation = django_filters.ChoiceFilter(
        label="Housing", choices=HousingSituation.choices
    )
    external_id = django_filters.CharFilter()

    class Meta:
        model = Person
        fields = [
            "q",
            "program",
            "date_of_birth",
            "age_min",
            "age_max",
            "housing_situation",
        ]

    def filter_q(self, queryset: QuerySet[Person], name: str, value: str):
        return selectors.person_search(queryset, value)

    def filter_age(self, queryset: QuerySet[Person], name: str, value):
        # Both bounds are applied together once, from cleaned_data.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        age_min = self.form.cleaned_data.get("age_min")
        age_max = self.form.cleaned_data.get("age_max")
        if age_min is not None or age_max is not None:
            queryset = queryset.filter(
                selectors.dob_range_for_age(
                    age_min=int(age_min) if age_min is not None else None,
                    age_max=int(age_max) if age_max is not None else None,
                )
            )
        return queryset


class EncounterFilter(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=_user_programs)
    person = IdFilter(field_name="person_id")
    unidentified = django_filters.BooleanFilter(
        field_name="person", lookup_expr="isnull", label="Unidentified person"
    )
    started_after = InstantFilter(field_name="started_at", lookup_expr="gte")
    started_before = InstantFilter(field_name="started_at", lookup_expr="lt")
    date_from = LocalDayFilter(
        field_name="started_at",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = LocalDayFilter(
        field_name="started_at",
        until=True,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    source = django_filters.ChoiceFilter(choices=EncounterSource.choices)
    disposition = django_filters.ChoiceFilter(choices=Disposition.choices)
    concern = django_filters.ChoiceFilter(
        choices=Concern.choices, method="filter_concern"
    )
    navigator = IdFilter(field_name="navigators", distinct=True)
    cad_number = django_filters.CharFilter()

    class Meta:
        model = Encounter
        fields = [
            "program",
            "person",
            "unidentified",
            "started_after",
            "started_before",
            "date_from",
            "date_to",
            "source",
            "disposition",
            "concern",
            "navigator",
            "cad_number",
        ]

    def filter_concern(self, queryset: QuerySet[Encounter], name: str, value: str):
        return queryset.filter(selectors.concern_filter(value))
