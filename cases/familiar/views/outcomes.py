"""Outcomes of enrollments (managers) and who was on the list by month."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.familiar import selectors
from cases.familiar.forms import MonthForm, OutcomesForm
from navigator import disclosure
from navigator.http import AuthedRequest
from navigator.selectors import staff_program_ids_for
from navigator.views import paginate

LONG_PAGE_SIZE = 50
DEFAULT_OUTCOME_DAYS = 90


def _percent_change(before: int, after: int) -> int | None:
    return None if before == 0 else round(100 * (after - before) / before)


@login_required
@require_GET
def familiar_outcomes(request: AuthedRequest) -> HttpResponse:
    """Contacts in the N days before enrollment vs the N days after."""
    user = request.user
    selectors.familiar_faces_access(user=user, action="outcomes")
    form = OutcomesForm(request.GET if "days" in request.GET else None)
    days = DEFAULT_OUTCOME_DAYS
    if form.is_bound and form.is_valid() and form.cleaned_data["days"]:
        days = form.cleaned_data["days"]
    if not form.is_bound:
        form = OutcomesForm(initial={"days": days})
    outcomes = selectors.enrollment_outcomes_for(user=user, days=days)
    page = paginate(request, outcomes, LONG_PAGE_SIZE)
    for enrollment in page.object_list:
        enrollment.days_observed = selectors.days_observed(enrollment, days)
        enrollment.change = enrollment.contacts_after - enrollment.contacts_before
    disclosure.records_shown(
        by=user, records=page.object_list, kind=disclosure.ENROLLMENT, named=True
    )
    totals = selectors.enrollment_outcome_totals(outcomes, days)
    percents = {
        name: _percent_change(part["before"], part["after"])
        for name, part in totals.items()
    }
    return render(
        request,
        "familiar/outcomes.html",
        {
            "form": form,
            "days": days,
            "page_obj": page,
            "totals": {
                name: {**part, "percent": percents[name]}
                for name, part in totals.items()
            },
            "show_program": len(selectors.familiar_faces_managed_ids(user=user)) > 1,
        },
    )


def _shift_month(month: datetime.date, by: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + by
    return datetime.date(index // 12, index % 12 + 1, 1)


@login_required
@require_GET
def familiar_history(request: AuthedRequest) -> HttpResponse:
    """Who was on the list in a month (kept by the evaluation each run)."""
    user = request.user
    selectors.familiar_faces_access(user=user, action="history")
    this_month = timezone.localdate().replace(day=1)
    form = MonthForm(request.GET if "month" in request.GET else None)
    month = this_month
    if form.is_bound and form.is_valid() and form.cleaned_data["month"]:
        month = form.cleaned_data["month"]
    if not form.is_bound:
        form = MonthForm(initial={"month": month})
    page = paginate(
        request, selectors.familiar_history_for(user=user, month=month), LONG_PAGE_SIZE
    )
    disclosure.records_shown(
        by=user,
        records=page.object_list,
        kind=disclosure.FAMILIAR_FACES_MONTH,
        named=True,
    )
    return render(
        request,
        "familiar/history.html",
        {
            "form": form,
            "month": month,
            "previous_month": _shift_month(month, -1),
            "next_month": _shift_month(month, 1) if month < this_month else None,
            "page_obj": page,
            "show_program": len(staff_program_ids_for(user=user)) > 1,
        },
    )
