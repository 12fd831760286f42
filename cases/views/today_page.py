"""Today: the navigator's recent encounters and follow-ups due."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cases import selectors
from cases.views._common import _with_concern_labels
from followups import selectors as followup_selectors
from navigator.views import paginate


@login_required
def today(request: HttpRequest) -> HttpResponse:
    page = paginate(
        request, selectors.encounter_list_recent_for_navigator(user=request.user)
    )
    _with_concern_labels(page.object_list)
    return render(
        request,
        "cases/today.html",
        {
            "page_obj": page,
            "followups": followup_selectors.followups_today_for(user=request.user),
        },
    )
