"""One referral: who, where to, why, the consent it relies on (or the
emergency override), the whole status history, the notes thread, the moves
it allows, and the edit of its editable fields."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from cases.models import InfoClass
from navigator import disclosure
from navigator.http import AuthedRequest
from navigator.selectors import staff_users_of
from navigator.views import safe_next
from referrals.forms import NoteForm, ReferralEditForm, TransitionForm
from referrals.lifecycle import OPEN
from referrals.models import Referral
from referrals.selectors import referral_get_for
from referrals.views._common import MOVE_CHOICES, with_moves


def edit_form(referral: Referral, data=None) -> ReferralEditForm:
    return ReferralEditForm(
        data,
        referral=referral,
        assignees=staff_users_of(program_ids=[referral.program_id]),
    )


def detail_page(
    request: AuthedRequest,
    referral: Referral,
    *,
    move_form: TransitionForm | None = None,
    note_form: NoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, also as the answer of a move or a note that failed (the
    form that was sent, with its errors, and the page's status)."""
    # The need, the notes and the history are the person's record.
    disclosure.record_opened(by=request.user, record=referral, kind=disclosure.REFERRAL)
    if referral.consent_id is not None:
        # The consent it relies on is shown too (its terms and expiry), as
        # the API's detail does.
        disclosure.note(
            by=request.user,
            person_id=referral.person_id,
            program_id=referral.program_id,
            kind=disclosure.CONSENT,
            object_id=referral.consent_id,
        )
    with_moves([referral])
    labels = dict(InfoClass.choices)
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "referral": referral,
            "person": referral.person,
            "history": list(referral.history.all()),
            "notes": list(referral.notes.all()),
            "note_form": note_form or NoteForm(),
            "move_form": move_form,
            "open_action": move_form.data.get("action", "") if move_form else "",
            "is_open": referral.status in OPEN,
            "edit_form": edit_form(referral) if referral.status in OPEN else None,
            "back": safe_next(request) or reverse("referral-board"),
            "carries": [labels.get(c, c) for c in referral.carries],
            **MOVE_CHOICES,
        },
        status=status,
    )


@login_required
@require_GET
def referral_detail(request: AuthedRequest, referral_id: int) -> HttpResponse:
    return detail_page(request, referral_get_for(user=request.user, pk=referral_id))
