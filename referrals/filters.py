"""The referral filters, one set for the caseworker's board and the staff
API (``/api/v1/referrals/``): django-filter, request-scoped like
``followups.filters`` (the agencies and colleagues offered are the caller's
programs' own, so a page never offers, and the API never confirms, anyone
else's).
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from navigator.filters import IdFilter, StrictBooleanFilter
from navigator.models import User
from navigator.selectors import staff_program_ids_for, staff_users_of
from referrals.models import Agency, Referral, ReferralStatus, Urgency
from referrals.selectors import agency_list_for, overdue_response


def _agencies(request) -> QuerySet[Agency]:
    if request is None:
        return Agency.objects.none()
    # Inactive ones too: their referrals stay on the board. The choices show
    # names only: no programs to prefetch.
    return agency_list_for(user=request.user, include_inactive=True).prefetch_related(
        None
    )


def _colleagues(request) -> QuerySet[User]:
    # Anyone who ever held a staff role in the caller's programs: referrals
    # stay assigned to people who have since left.
    if request is None:
        return User.objects.none()
    return staff_users_of(
        program_ids=staff_program_ids_for(user=request.user), active_only=False
    ).order_by("first_name", "last_name", "username")


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=ReferralStatus.choices, label="Status"
    )
    agency = django_filters.ModelChoiceFilter(
        queryset=_agencies, label="Agency", empty_label="Any agency"
    )
    urgency = django_filters.ChoiceFilter(
        choices=Urgency.choices, label="Urgency", empty_label="Any urgency"
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        label="Overdue response",
        help_text="true: requested, and no answer by the respond-by date.",
    )
    assigned = django_filters.ModelChoiceFilter(
        field_name="assigned_to",
        queryset=_colleagues,
        label="Assigned to",
        empty_label="Anyone",
    )
    person = IdFilter(field_name="person_id", label="Person")

    class Meta:
        model = Referral
        fields = ["status", "agency", "urgency", "overdue", "assigned", "person"]

    def filter_overdue(
        self, queryset: QuerySet[Referral], name: str, value: bool
    ) -> QuerySet[Referral]:
        overdue = overdue_response(queryset)
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))
