"""Today: the navigator's recent encounters and follow-ups due."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from cases import selectors
from cases.views._common import _with_concern_labels
from followups import selectors as followup_selectors
from navigator import disclosure
from navigator.http import AuthedRequest
from navigator.views import paginate


@login_required
def today(request: AuthedRequest) -> HttpResponse:
    page = paginate(
        request, selectors.encounter_list_recent_for_navigator(user=request.user)
    )
    _with_concern_labels(page.object_list)
    followups = followup_selectors.followups_today_for(user=request.user)
    disclosure.records_shown(
        by=request.user,
        records=page.object_list,
        kind=disclosure.ENCOUNTER_SUMMARY,
        named=True,
    )
    disclosure.records_shown(
        by=request.user,
        records=[
            *followups["overdue"],
            *followups["today"],
            *followups["upcoming"],
            *followups["just_closed"],
        ],
        kind=disclosure.FOLLOWUP,
        named=True,
    )
    return render(
        request, "cases/today.html", {"page_obj": page, "followups": followups}
    )
