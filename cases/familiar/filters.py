"""Filters of the familiar-faces list, shared by the page, the CSV and the API.

Request-scoped like ``cases.filters``: ``program`` and ``rule`` offer only
the caller's own, so a page never lists (and the API never confirms) anyone
else's. The SQL behind ``enrolled`` and ``trend`` is in the selectors.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from cases.familiar import selectors
from cases.models import FamiliarFaceFlag, FamiliarFacesRule
from navigator.filters import StrictBooleanFilter, WholeNumberFilter
from navigator.models import Program
from navigator.selectors import program_list_for

TREND_CHOICES = [("up", "Up"), ("down", "Down"), ("same", "Same")]


def _user_programs(request) -> QuerySet[Program]:
    if request is None:
        return Program.objects.none()
    return program_list_for(user=request.user)


def _user_rules(request) -> QuerySet[FamiliarFacesRule]:
    if request is None:
        return FamiliarFacesRule.objects.none()
    return selectors.familiar_faces_rules_for(user=request.user)


class FamiliarFaceFilter(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        queryset=_user_programs, empty_label="Any"
    )
    rule = django_filters.ModelChoiceFilter(queryset=_user_rules, empty_label="Any")
    enrolled = StrictBooleanFilter(
        method="filter_enrolled",
        label="Enrolled",
        help_text="true: in intensive follow-up now; false: not enrolled.",
    )
    trend = django_filters.ChoiceFilter(
        choices=TREND_CHOICES,
        method="filter_trend",
        label="Trend",
        empty_label="Any",
        help_text="Contacts in the rule's window against the window of the same "
        "length before it.",
    )
    min_contacts = WholeNumberFilter(
        field_name="encounter_count",
        lookup_expr="gte",
        label="At least this many contacts",
        min_value=1,
        max_value=100_000,
    )

    class Meta:
        model = FamiliarFaceFlag
        fields = ["program", "rule", "enrolled", "trend", "min_contacts"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A rule's name alone can repeat across programs ("4 in 90 days").
        self.form.fields["rule"].label_from_instance = lambda rule: (
            f"{rule.name} · {rule.program.name}"
        )
        # The help texts document the API's parameters; the page's labels and
        # choices say it already.
        for field in self.form.fields.values():
            field.help_text = ""

    def filter_enrolled(self, queryset, name: str, value: bool):
        return selectors.familiar_faces_enrolled(queryset, value)

    def filter_trend(self, queryset, name: str, value: str):
        return selectors.familiar_faces_by_trend(queryset, value)
