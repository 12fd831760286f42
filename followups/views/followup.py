"""Follow-up pages: the list, one follow-up and its actions (complete, missed, ...)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from followups import selectors, services
from followups.filters import FollowupFilter
from followups.forms import (
    FollowupAttemptForm,
    FollowupCancelForm,
    FollowupCompleteForm,
    FollowupMissedForm,
    FollowupReassignForm,
    FollowupRescheduleForm,
)
from followups.models import Followup, Status
from followups.views._common import _failed, _mask, _with_overdue
from navigator import disclosure
from navigator.errors import DomainError
from navigator.http import AuthedRequest
from navigator.selectors import is_manager_of, staff_program_ids_for
from navigator.views import paginate

# --- lists -------------------------------------------------------------------

# With none of its filters in the query string, the list is "my open ones".
FOLLOWUP_FILTER_KEYS = set(FollowupFilter.base_filters)


@login_required
def followup_list(request: AuthedRequest) -> HttpResponse:
    # A list shows what is the user's (DESIGN.md): none for admins and
    # partners, as from the API.
    data = request.GET.copy()
    if not FOLLOWUP_FILTER_KEYS & set(data):
        data.update({"status": Status.SCHEDULED, "assigned_to": str(request.user.pk)})
    followups = FollowupFilter(
        data,
        queryset=selectors.followup_list_detailed_for(user=request.user),
        request=request,
    )
    page = paginate(request, followups.qs)
    _with_overdue(page.object_list)
    disclosure.records_shown(
        by=request.user,
        records=page.object_list,
        kind=disclosure.FOLLOWUP,
        named=True,
    )
    return render(
        request,
        "followups/followup_list.html",
        {
            "filter": followups,
            "page_obj": page,
            "show_program": len(staff_program_ids_for(user=request.user)) > 1,
        },
    )


# --- one follow-up -----------------------------------------------------------


def _action_forms(followup: Followup) -> dict[str, forms.Form]:
    return {
        "complete": FollowupCompleteForm(time_zone=followup.program.time_zone),
        "attempt": FollowupAttemptForm(time_zone=followup.program.time_zone),
        "missed": FollowupMissedForm(time_zone=followup.program.time_zone),
        "cancel": FollowupCancelForm(),
        "reschedule": FollowupRescheduleForm(followup=followup),
        "reassign": FollowupReassignForm(
            followup=followup,
            assignees=selectors.assignable_users_for(program=followup.program),
        ),
    }


def _followup_page(
    request: AuthedRequest,
    followup: Followup,
    *,
    bound: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    # Purpose and outcome notes are part of the person's record (as the API).
    disclosure.record_opened(by=request.user, record=followup, kind=disclosure.FOLLOWUP)
    disclosure.safety_plan_shown(by=request.user, person=followup.person)
    action_forms = _action_forms(followup)
    if bound is not None:
        action_forms[bound[0]] = bound[1]
    _with_overdue([followup])
    is_manager = is_manager_of(user=request.user, program_id=followup.program_id)
    reminders = (
        list(
            selectors.followup_reminders_for_manager(
                user=request.user, followup=followup
            )
        )
        if is_manager
        else []
    )
    for reminder in reminders:
        _mask(reminder.deliveries.all())
    return render(
        request,
        "followups/followup_detail.html",
        {
            "followup": followup,
            "forms": action_forms,
            "open_action": bound[0] if bound else "",
            "is_open": followup.status == Status.SCHEDULED,
            "is_manager": is_manager,
            "reminders": reminders,
            "attempts": list(selectors.followup_attempts_for(followup=followup)),
            "attempt_limit": selectors.followup_settings_for(
                program=followup.program
            ).attempt_limit,
            "can_undo": services.followup_undo_possible(
                by=request.user, followup=followup
            ),
            "undo_minutes": int(services.UNDO_WINDOW.total_seconds() // 60),
        },
        status=status,
    )


def _get(
    request: AuthedRequest,
    followup_id: int,
    action: selectors.FollowupAction = "view",
) -> Followup:
    return selectors.followup_get_detailed_for(
        user=request.user, followup_id=followup_id, action=action
    )


@login_required
def followup_detail(request: AuthedRequest, followup_id: int) -> HttpResponse:
    return _followup_page(request, _get(request, followup_id))


def _next_url(request: HttpRequest, default: str) -> str:
    # Today's one-tap buttons come back to Today; only ever to this site.
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _act(
    request: AuthedRequest,
    followup: Followup,
    name: str,
    form: forms.Form,
    call: Callable[[], Followup],
    done: str,
) -> HttpResponse:
    """Validate an action's form, call its service, redirect or re-render."""
    status = 200
    if form.is_valid():
        try:
            call()
        except DomainError as exc:
            status = _failed(request, exc, form)
        else:
            messages.success(request, done)
            return redirect(
                _next_url(request, reverse("followup-detail", args=[followup.pk]))
            )
    return _followup_page(request, followup, bound=(name, form), status=status)


@login_required
@require_POST
def followup_complete(request: AuthedRequest, followup_id: int) -> HttpResponse:
    followup = _get(request, followup_id, "complete")
    form = FollowupCompleteForm(request.POST, time_zone=followup.program.time_zone)
    return _act(
        request,
        followup,
        "complete",
        form,
        lambda: services.followup_complete(
            by=request.user,
            followup=followup,
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
            completed_at=form.completed_at_for(followup.program),
        ),
        f"Follow-up with {followup.person.display_name} completed.",
    )


@login_required
@require_POST
def followup_missed(request: AuthedRequest, followup_id: int) -> HttpResponse:
    followup = _get(request, followup_id, "missed")
    form = FollowupMissedForm(request.POST, time_zone=followup.program.time_zone)
    return _act(
        request,
        followup,
        "missed",
        form,
        lambda: services.followup_mark_missed(
            by=request.user,
            followup=followup,
            notes=form.cleaned_data["notes"],
            completed_at=form.completed_at_for(followup.program),
        ),
        "Follow-up marked as missed.",
    )


@login_required
@require_POST
def followup_cancel(request: AuthedRequest, followup_id: int) -> HttpResponse:
    followup = _get(request, followup_id, "cancel")
    form = FollowupCancelForm(request.POST)
    return _act(
        request,
        followup,
        "cancel",
        form,
        lambda: services.followup_cancel(
            by=request.user, followup=followup, reason=form.cleaned_data["reason"]
        ),
        "Follow-up cancelled.",
    )


@login_required
@require_POST
def followup_reschedule(request: AuthedRequest, followup_id: int) -> HttpResponse:
    followup = _get(request, followup_id, "reschedule")
    form = FollowupRescheduleForm(request.POST, followup=followup)
    return _act(
        request,
        followup,
        "reschedule",
        form,
        lambda: services.followup_reschedule(
            by=request.user,
            followup=followup,
            due_at=form.due_at_for(followup.program),
            reason=form.cleaned_data["reason"],
        ),
        "Follow-up rescheduled.",
    )


@login_required
@require_POST
def followup_reassign(request: AuthedRequest, followup_id: int) -> HttpResponse:
    followup = _get(request, followup_id, "reassign")
    form = FollowupReassignForm(
        request.POST,
        followup=followup,
        assignees=selectors.assignable_users_for(program=followup.program),
    )
    return _act(
        request,
        followup,
        "reassign",
        form,
        lambda: services.followup_reassign(
            by=request.user,
            followup=followup,
            assigned_to=form.cleaned_data["assigned_to"],
        ),
        "Follow-up reassigned.",
    )


@login_required
@require_POST
def followup_attempt(request: AuthedRequest, followup_id: int) -> HttpResponse:
    followup = _get(request, followup_id)
    form = FollowupAttemptForm(request.POST, time_zone=followup.program.time_zone)

    def call() -> Followup:
        return services.followup_attempt(
            by=request.user,
            followup=followup,
            method=form.cleaned_data["method"],
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            at=form.at_for(followup.program),
        ).followup

    return _act(
        request,
        followup,
        "attempt",
        form,
        call,
        f"Attempt recorded; the follow-up with {followup.person.display_name} "
        "stays open.",
    )


@login_required
@require_POST
def followup_undo(request: AuthedRequest, followup_id: int) -> HttpResponse:
    """Reopen a follow-up its author closed a few minutes ago (a mis-tap)."""
    followup = _get(request, followup_id)
    try:
        services.followup_undo_close(by=request.user, followup=followup)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            f"Undone: the follow-up with {followup.person.display_name} is open again.",
        )
    return redirect(_next_url(request, reverse("followup-detail", args=[followup.pk])))
