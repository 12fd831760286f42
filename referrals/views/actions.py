"""The referral POSTs: a status move (from the board or the detail page), a
note, an edit. Each calls one service; success redirects back (the board's
``next``), a failure shows the referral's page with the form that was sent,
its errors, and 400 (bad input) or 409 (not in this state: the message
names the moves allowed)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from navigator import disclosure
from navigator.errors import Conflict, DomainError
from navigator.http import AuthedRequest
from navigator.views import apply_domain_error, form_data, safe_next
from referrals import services
from referrals.forms import NoteForm, TransitionForm
from referrals.models import Referral, ReferralStatus
from referrals.selectors import referral_get_for
from referrals.views.detail import detail_page, edit_form

_DONE = {
    "request": "sent",
    "accept": "accepted for the agency",
    "reject": "declined for the agency",
    "start": "started for the agency",
    "hold": "put on hold for the agency",
    "resume": "resumed for the agency",
    "complete": "completed for the agency",
    "cancel": "cancelled",
    "enter_in_error": "marked as entered in error",
}


def _status_for(exc: DomainError) -> int:
    return 409 if isinstance(exc, Conflict) else 400


def _back(request: AuthedRequest, referral: Referral) -> HttpResponse:
    return redirect(
        safe_next(request) or reverse("referral-detail", args=[referral.pk])
    )


@login_required
@require_POST
def referral_move(request: AuthedRequest, referral_id: int) -> HttpResponse:
    referral = referral_get_for(user=request.user, pk=referral_id)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return detail_page(request, referral, move_form=form, status=400)
    due = form.followup_due_for(referral.program)
    if form.errors:
        return detail_page(request, referral, move_form=form, status=400)
    action = form.cleaned_data["action"]
    data = form.cleaned_data
    try:
        moved = services.referral_act(
            by=request.user,
            referral=referral,
            action=action,
            reason_code=data["reason_code"],
            declined_by=data["declined_by"],
            note=data["note"],
            outcome=data["outcome"],
            consent_override_reason=data["consent_override_reason"],
            followup_due_at=due,
        )
    except Conflict as exc:
        # Not this form's mistake: the referral's state (the message names
        # the moves allowed, or the consent missing).
        messages.error(request, exc.detail)
        fresh = referral_get_for(user=request.user, pk=referral_id)
        return detail_page(request, fresh, move_form=form, status=409)
    except DomainError as exc:
        apply_domain_error(request, exc, form)
        # Shown as the page is now (another tab, the agency, may have moved it).
        fresh = referral_get_for(user=request.user, pk=referral_id)
        return detail_page(request, fresh, move_form=form, status=_status_for(exc))
    who = referral.person.display_name
    messages.success(
        request,
        f"Referral of {who} to {referral.agency.name} {_DONE.get(action, 'moved')}.",
    )
    if due is not None:
        messages.success(
            request,
            f"Follow-up call scheduled for {data['followup_due_at']:%a %-d %b, %H:%M}.",
        )
    if moved.status == ReferralStatus.ACCEPTED and moved.group_id:
        messages.info(
            request, "The group's other referrals were cancelled: placed elsewhere."
        )
    return _back(request, referral)


@login_required
@require_POST
def referral_note_add(request: AuthedRequest, referral_id: int) -> HttpResponse:
    referral = referral_get_for(user=request.user, pk=referral_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.referral_note_add(
                by=request.user, referral=referral, text=form.cleaned_data["text"]
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
            return detail_page(
                request, referral, note_form=form, status=_status_for(exc)
            )
        messages.success(request, "Note added.")
        return redirect(reverse("referral-detail", args=[referral.pk]) + "#notes")
    return detail_page(request, referral, note_form=form, status=400)


@login_required
def referral_edit(request: AuthedRequest, referral_id: int) -> HttpResponse:
    referral = referral_get_for(user=request.user, pk=referral_id, action="edit")
    form = edit_form(referral, form_data(request))
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                services.referral_update(
                    by=request.user, referral=referral, changes=form.changes()
                )
            except DomainError as exc:
                apply_domain_error(request, exc, form)
                status = _status_for(exc)
            else:
                messages.success(request, "Referral saved.")
                return redirect("referral-detail", referral.pk)
        else:
            status = 400
    disclosure.record_opened(by=request.user, record=referral, kind=disclosure.REFERRAL)
    return render(
        request,
        "referrals/referral_edit.html",
        {"referral": referral, "form": form},
        status=status,
    )
