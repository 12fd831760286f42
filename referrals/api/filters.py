"""The staff API's referral filters: the board's (``referrals.filters``),
and ``assigned`` also takes ``me``, so a token client need not know its own
user id (``?assigned=me``, or a user id).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field

from navigator.api.serializers import MAX_ID
from referrals.filters import ReferralFilter
from referrals.models import Referral

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
        "description": '"me" (assigned to you) or the id of a colleague.',
    }
)
class AssignedFilter(django_filters.CharFilter):
    field_class = AssignedField


class ReferralApiFilter(ReferralFilter):
    assigned = AssignedFilter(method="filter_assigned", label="Assigned to")

    class Meta(ReferralFilter.Meta):
        pass

    def filter_assigned(
        self, queryset: QuerySet[Referral], name: str, value: str | int
    ) -> QuerySet[Referral]:
        user = getattr(self.request, "user", None)
        if value == ME:
            return queryset.filter(assigned_to_id=getattr(user, "pk", None))
        # The list is scoped to the caller's programs already.
        return queryset.filter(assigned_to_id=int(value))
