"""Filters of the directory, shared by the search page and the API
(django-filter). The searching itself is ``referrals.selectors``'
(``service_search_apply``); these only read and check the query string."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet

from navigator.filters import IdFilter, StrictBooleanFilter
from navigator.models import Program
from referrals.models import Accepting, Agency, AgencyKind, Service, ServiceCategory
from referrals.selectors import (
    ServiceSearch,
    directory_program_ids_for,
    service_search_apply,
)

TEXT_MAX_LENGTH = 100
CITY_MAX_LENGTH = Service._meta.get_field("city").max_length


class ServiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="filter_noop",
        max_length=TEXT_MAX_LENGTH,
        help_text="Words in the service's or the agency's name or description.",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name or need",
                "autocomplete": "off",
            }
        ),
    )
    category = django_filters.ChoiceFilter(
        choices=ServiceCategory.choices,
        method="filter_noop",
        empty_label="Any category",
    )
    city = django_filters.CharFilter(
        method="filter_noop", max_length=CITY_MAX_LENGTH, help_text="Exact city name."
    )
    accepting = django_filters.ChoiceFilter(
        choices=Accepting.choices, method="filter_noop", empty_label="Any intake"
    )
    agency = IdFilter(method="filter_noop", help_text="An agency's id.")

    class Meta:
        model = Service
        fields = ["q", "category", "city", "accepting", "agency"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.form.fields["agency"].widget = forms.HiddenInput()
        for name in ("q", "city"):
            self.form.fields[name].help_text = ""

    def filter_noop(self, queryset: QuerySet[Service], name: str, value: object):
        # All of them together, once, in filter_queryset (the selector's).
        return queryset

    def filter_queryset(self, queryset: QuerySet[Service]) -> QuerySet[Service]:
        data = self.form.cleaned_data
        return service_search_apply(
            queryset,
            ServiceSearch(
                text=(data.get("q") or "").strip(),
                category=data.get("category") or "",
                city=(data.get("city") or "").strip(),
                accepting=data.get("accepting") or "",
                agency_id=data.get("agency"),
            ),
        )


def _user_programs(request) -> QuerySet[Program]:
    if request is None:
        return Program.objects.none()
    return Program.objects.filter(id__in=directory_program_ids_for(user=request.user))


class AgencyFilter(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        queryset=_user_programs,
        field_name="programs",
        empty_label="Any program",
        help_text="One of your programs: the agencies it works with.",
    )
    kind = django_filters.ChoiceFilter(
        choices=AgencyKind.choices, empty_label="Any kind"
    )
    active = StrictBooleanFilter(
        field_name="is_active",
        help_text="true: in the directory's search; false: deactivated.",
    )

    class Meta:
        model = Agency
        fields = ["program", "kind", "active"]
