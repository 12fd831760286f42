"""Filters of the staff referral list (django-filter), with the names the
caseworker's board uses: ``status`` (several), ``agency``, ``urgency``,
``overdue``, ``assigned`` (``me`` or a user id), ``person``.

Every value the list cannot use is an error naming the filter (a 400), as
in ``navigator.filters``.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field

from navigator.api.serializers import MAX_ID
from navigator.filters import IdFilter, StrictBooleanFilter
from referrals.models import Referral, ReferralStatus, Urgency
from referrals.selectors import overdue_response

ME = "me"


class AssignedField(forms.Field):
    """``me``, or a user's id."""

    def to_python(self, value: object) -> str | int | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        if text.lower() == ME:
            return ME
        if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ID:
            return int(text)
        raise forms.ValidationError(
            'Give "me" or a user id (a whole number from 1).', code="invalid"
        )


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^(me|[0-9]{1,19})$",
        "description": '"me" (assigned to you) or a user id.',
    }
)
class AssignedFilter(django_filters.CharFilter):
    field_class = AssignedField


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=ReferralStatus.choices,
        help_text="One or several (repeat it: ?status=requested&status=accepted).",
    )
    agency = IdFilter(field_name="agency_id")
    urgency = django_filters.ChoiceFilter(
        choices=Urgency.choices, empty_label="Any urgency"
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        label="Overdue response",
        help_text="true: requested and past the respond-by date with no "
        "answer; false: everything else.",
    )
    assigned = AssignedFilter(method="filter_assigned", label="Assigned to")
    person = IdFilter(field_name="person_id")

    class Meta:
        model = Referral
        fields = ["status", "agency", "urgency", "overdue", "assigned", "person"]

    def filter_overdue(
        self, queryset: QuerySet[Referral], name: str, value: bool
    ) -> QuerySet[Referral]:
        overdue = overdue_response(queryset)
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_assigned(
        self, queryset: QuerySet[Referral], name: str, value: str | int
    ) -> QuerySet[Referral]:
        user = getattr(self.request, "user", None)
        if value == ME:
            return queryset.filter(assigned_to_id=getattr(user, "pk", None))
        return queryset.filter(assigned_to_id=int(value))
