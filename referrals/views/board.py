"""The caseworker's board: referrals by status (columns on a desktop, one
list per status on a phone: the same template, CSS decides), filtered, with
one-tap moves that post to ``referral-move`` and come back here."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from navigator import disclosure
from navigator.http import AuthedRequest
from navigator.selectors import staff_program_ids_for
from navigator.views import paginate
from referrals.filters import ReferralFilter
from referrals.lifecycle import FINAL
from referrals.models import Referral, ReferralStatus
from referrals.selectors import referral_cards, referral_list_for
from referrals.views._common import MOVE_CHOICES, with_moves

S = ReferralStatus
# The board's columns when no status is chosen: the referrals someone must
# act on. Drafts and closed ones are listed below them, folded.
BOARD_COLUMNS = (S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD)
# Rows of the folded lists (drafts, recently closed); each links to its
# whole list (``?status=``).
SIDE_LIST_SIZE = 10


@login_required
@require_GET
def referral_board(request: AuthedRequest) -> HttpResponse:
    referrals = ReferralFilter(
        request.GET or None,
        queryset=referral_list_for(user=request.user),
        request=request,
    )
    filtered = referral_cards(referrals.qs)
    chosen = referrals.form.cleaned_data.get("status") if referrals.is_bound else []
    statuses = [s for s in S.values if s in (chosen or [])] or list(BOARD_COLUMNS)
    page = paginate(request, filtered.filter(status__in=statuses))
    drafts: list[Referral] = []
    closed: list[Referral] = []
    if not chosen:
        drafts = list(filtered.filter(status=S.DRAFT)[:SIDE_LIST_SIZE])
        closed = list(filtered.filter(status__in=FINAL)[:SIDE_LIST_SIZE])
    with_moves([*page.object_list, *drafts])
    labels = dict(S.choices)
    columns = [
        (
            status,
            labels[status],
            [r for r in page.object_list if r.status == status],
        )
        for status in statuses
    ]
    disclosure.records_shown(
        by=request.user,
        records=[*page.object_list, *drafts, *closed],
        kind=disclosure.REFERRAL_SUMMARY,
        named=True,
    )
    return render(
        request,
        "referrals/board.html",
        {
            "filter": referrals,
            "page_obj": page,
            "columns": columns,
            "drafts": drafts,
            "closed": closed,
            "side_list_size": SIDE_LIST_SIZE,
            "status_chosen": bool(chosen),
            **MOVE_CHOICES,
            "show_program": len(staff_program_ids_for(user=request.user)) > 1,
        },
    )
