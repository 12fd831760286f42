"""Today: the navigator's recent encounters, follow-ups due, and referrals
waiting for an agency's answer (overdue ones first)."""

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
from referrals.lifecycle import AWAITING_RESPONSE
from referrals.models import Referral
from referrals.selectors import ReferralFilters, referral_is_overdue, referral_list_for

# Referrals Today lists at most; the board has them all.
TODAY_REFERRALS = 10


def _my_referrals_awaiting(request: AuthedRequest) -> list[Referral]:
    """The user's referrals still waiting for the agency's answer, the
    longest overdue first."""
    rows = list(
        referral_list_for(
            user=request.user,
            filters=ReferralFilters(
                status=tuple(AWAITING_RESPONSE), assigned_to_id=request.user.pk
            ),
        ).order_by("respond_by", "id")[:TODAY_REFERRALS]
    )
    for referral in rows:
        referral.is_overdue = referral_is_overdue(referral)
    return rows


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
    referrals = _my_referrals_awaiting(request)
    disclosure.records_shown(
        by=request.user,
        records=referrals,
        kind=disclosure.REFERRAL_SUMMARY,
        named=True,
    )
    return render(
        request,
        "cases/today.html",
        {
            "page_obj": page,
            "followups": followups,
            "referrals": referrals,
            "referrals_limit": TODAY_REFERRALS,
        },
    )
