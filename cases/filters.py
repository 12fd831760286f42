"""One set of filters for the pages and the API (django-filter)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet

from cases import selectors
from cases.models import Concern, Disposition, Encounter, EncounterSource, Person
from cases.models.choices import HousingSituation
from navigator.filters import (
    AnyYesNoSelect,
    IdFilter,
    InstantFilter,
    IsoDateFilter,
    LocalDayFilter,
    StrictBooleanFilter,
    WholeNumberFilter,
)
from navigator.selectors import program_list_for


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
    program = django_filters.ModelChoiceFilter(
        queryset=_user_programs, empty_label="Any program"
    )
    date_of_birth = IsoDateFilter(widget=forms.DateInput(attrs={"type": "date"}))
    # Whole years in a human range, so a typo is a clear field error.
    age_min = WholeNumberFilter(
        label="Age from", method="filter_age", min_value=0, max_value=150
    )
    age_max = WholeNumberFilter(
        label="Age to", method="filter_age", min_value=0, max_value=150
    )
    housing_situation = django_filters.ChoiceFilter(
        label="Housing", choices=HousingSituation.choices, empty_label="Any housing"
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
                selectors.dob_range_for_age(age_min=age_min, age_max=age_max)
            )
        return queryset


class EncounterFilter(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        queryset=_user_programs, empty_label="Any program"
    )
    person = IdFilter(field_name="person_id")
    unidentified = StrictBooleanFilter(
        field_name="person",
        lookup_expr="isnull",
        label="Person",
        widget=AnyYesNoSelect(
            labels=("Identified or not", "Not identified yet", "Identified")
        ),
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
    source = django_filters.ChoiceFilter(
        choices=EncounterSource.choices, empty_label="Any source"
    )
    disposition = django_filters.ChoiceFilter(
        choices=Disposition.choices, empty_label="Any disposition"
    )
    concern = django_filters.ChoiceFilter(
        choices=Concern.choices,
        method="filter_concern",
        label="Concern",
        empty_label="Any concern",
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
