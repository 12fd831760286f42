"""Filters for follow-ups and deliveries, shared by the pages and the API.

Request-scoped like ``cases.filters``: the choices of ``program`` and
``assigned_to`` are the caller's programs and their colleagues, so a page
never offers (and the API never confirms) anyone else's.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from followups.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Followup,
    Method,
    Priority,
    Status,
)
from followups.selectors import overdue_followups_q
from navigator.filters import IdFilter, InstantFilter, StrictBooleanFilter
from navigator.models import Program, User
from navigator.selectors import program_list_for, staff_program_ids_for, staff_users_of


def _user_programs(request) -> QuerySet[Program]:
    if request is None:
        return Program.objects.none()
    return program_list_for(user=request.user)


def _colleagues(request) -> QuerySet[User]:
    # Anyone who ever held a staff role in the caller's programs, active or
    # not: follow-ups stay assigned to people who have since left.
    if request is None:
        return User.objects.none()
    return staff_users_of(
        program_ids=staff_program_ids_for(user=request.user), active_only=False
    )


class FollowupFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Status.choices, empty_label="Any status"
    )
    assigned_to = django_filters.ModelChoiceFilter(
        queryset=_colleagues, label="Assigned to", empty_label="Anyone"
    )
    person = IdFilter(field_name="person_id")
    encounter = IdFilter(field_name="encounter_id")
    program = django_filters.ModelChoiceFilter(
        queryset=_user_programs, empty_label="Any program"
    )
    priority = django_filters.ChoiceFilter(
        choices=Priority.choices, empty_label="Any priority"
    )
    method = django_filters.ChoiceFilter(
        choices=Method.choices, empty_label="Any method"
    )
    # A time without an offset is read in the active (program) time zone.
    due_after = InstantFilter(field_name="due_at", lookup_expr="gte", label="Due from")
    due_before = InstantFilter(
        field_name="due_at", lookup_expr="lt", label="Due before"
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        label="Overdue",
        help_text="true: still scheduled and past due; false: everything else.",
    )

    class Meta:
        model = Followup
        fields = [
            "status",
            "assigned_to",
            "person",
            "encounter",
            "program",
            "priority",
            "method",
            "due_after",
            "due_before",
            "overdue",
        ]

    def filter_overdue(self, queryset: QuerySet[Followup], name: str, value: bool):
        return (queryset.filter if value else queryset.exclude)(overdue_followups_q())


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=DeliveryStatus.choices, empty_label="Any status"
    )
    channel = django_filters.ChoiceFilter(
        choices=DeliveryChannel.choices, empty_label="Any channel"
    )
    followup = IdFilter(field_name="reminder__followup_id", label="Follow-up")

    class Meta:
        model = Delivery
        fields = ["status", "channel", "followup"]
