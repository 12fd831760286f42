"""Follow-up pages: parse, call one service or selector, render.

As in ``cases.views``: a follow-up outside the user's programs is 404, and so
are the managers' pages (overdue, deliveries, settings) for anyone who manages
no program. A service's DomainError lands on the form field it names; one
without a field (a 409, e.g. completing a cancelled follow-up) is a message on
the re-rendered page, with whatever was typed still in the form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cases import selectors as cases_selectors
from cases import services as cases_services
from followups import calendar, selectors, services
from followups.filters import DeliveryFilter, FollowupFilter
from followups.forms import (
    FollowupCancelForm,
    FollowupCompleteForm,
    FollowupMissedForm,
    FollowupPlanForm,
    FollowupReassignForm,
    FollowupRescheduleForm,
    FollowupScheduleForm,
    FollowupSettingsForm,
    NotificationPreferenceForm,
    PlanStepForm,
)
from followups.models import Delivery, Followup, Status
from followups.texts import mask_recipient
from navigator.errors import Conflict, DomainError, NotFound
from navigator.models import Program, Role, User
from navigator.selectors import is_manager_of, program_ids_for, program_list_for
from navigator.views import apply_domain_error

PAGE_SIZE = 25
T = TypeVar("T")


# --- small helpers -----------------------------------------------------------


def _or_404(getter: Callable[..., T], **kwargs: Any) -> T:
    try:
        return getter(**kwargs)
    except NotFound:
        raise Http404 from None


def _form_data(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _page(request: HttpRequest, items, per_page: int = PAGE_SIZE) -> Page:
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return page


def _with_overdue(followups: Iterable[Followup]) -> None:
    now = timezone.now()
    for followup in followups:
        followup.is_overdue = selectors.followup_is_overdue(followup, now=now)


def _require_staff(user: User) -> None:
    # Admins and partners hold no standing access to follow-ups (DESIGN.md).
    if not program_ids_for(user=user):
        raise Http404


def _managed_program_ids(user: User) -> list[int]:
    ids = program_ids_for(user=user, roles=(Role.PROGRAM_MANAGER,))
    if not ids:
        raise Http404  # managers' pages do not exist for anyone else
    return ids


def _next_url(request: HttpRequest, default: str) -> str:
    # Today's one-tap buttons come back to Today; only ever to this site.
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _failed(request: HttpRequest, exc: DomainError, form: forms.Form) -> int:
    """Put the error on the form (or the page) and pick the page's status."""
    apply_domain_error(request, exc, form)
    return 409 if isinstance(exc, Conflict) else 200


# --- lists -------------------------------------------------------------------

# With none of its filters in the query string, the list is "my open ones".
FOLLOWUP_FILTER_KEYS = set(FollowupFilter.base_filters)


@login_required
def followup_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request.user)
    data = request.GET.copy()
    if not FOLLOWUP_FILTER_KEYS & set(data):
        data.update({"status": Status.SCHEDULED, "assigned_to": str(request.user.pk)})
    followups = FollowupFilter(
        data,
        queryset=selectors.followup_list_detailed_for(user=request.user),
        request=request,
    )
    page = _page(request, followups.qs)
    _with_overdue(page.object_list)
    return render(
        request,
        "followups/followup_list.html",
        {
            "filter": followups,
            "page_obj": page,
            "show_program": len(program_ids_for(user=request.user)) > 1,
        },
    )


# --- one follow-up -----------------------------------------------------------


def _action_forms(followup: Followup) -> dict[str, forms.Form]:
    return {
        "complete": FollowupCompleteForm(time_zone=followup.program.time_zone),
        "missed": FollowupMissedForm(time_zone=followup.program.time_zone),
        "cancel": FollowupCancelForm(),
        "reschedule": FollowupRescheduleForm(followup=followup),
        "reassign": FollowupReassignForm(
            followup=followup,
            assignees=selectors.assignable_users_for(program=followup.program),
        ),
    }


def _followup_page(
    request: HttpRequest,
    followup: Followup,
    *,
    bound: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    # Purpose and outcome notes are part of the person's record (as the API).
    cases_services.person_record_viewed(by=request.user, person=followup.person)
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
        },
        status=status,
    )


def _get(request: HttpRequest, followup_id: int) -> Followup:
    return _or_404(
        selectors.followup_get_detailed_for,
        user=request.user,
        followup_id=followup_id,
    )


@login_required
def followup_detail(request: HttpRequest, followup_id: int) -> HttpResponse:
    return _followup_page(request, _get(request, followup_id))


def _act(
    request: HttpRequest,
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
def followup_complete(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = _get(request, followup_id)
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
def followup_missed(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = _get(request, followup_id)
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
def followup_cancel(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = _get(request, followup_id)
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
def followup_reschedule(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = _get(request, followup_id)
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
def followup_reassign(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = _get(request, followup_id)
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


# --- scheduling --------------------------------------------------------------


@login_required
def followup_schedule(request: HttpRequest) -> HttpResponse:
    """Schedule a follow-up with a person (``?person=<id>``)."""
    person = _or_404(
        cases_selectors.person_get_for,
        user=request.user,
        person_id=request.GET.get("person"),
    )
    form = FollowupScheduleForm(
        _form_data(request),
        person=person,
        contacts=selectors.followup_contacts_for(person=person),
        assignees=selectors.assignable_users_for(program=person.program),
        can_remind=selectors.person_reminder_possible(person=person),
        user=request.user,
    )
    status = 200
    if form.is_bound and form.is_valid():
        try:
            followup = services.followup_schedule(
                by=request.user,
                person=person,
                due_at=form.due_at_for(person.program),
                method=form.cleaned_data["method"],
                assigned_to=form.cleaned_data["assigned_to"],
                contact=form.cleaned_data["contact"],
                purpose=form.cleaned_data["purpose"],
                priority=form.cleaned_data["priority"],
                remind_person=form.cleaned_data["remind_person"],
            )
        except DomainError as exc:
            status = _failed(request, exc, form)
        else:
            due = timezone.localtime(followup.due_at, person.program.tz)
            messages.success(
                request,
                f"Follow-up scheduled for {due:%a %-d %b, %H:%M}.",
            )
            return redirect(reverse("person-detail", args=[person.pk]) + "#timeline")
    return render(
        request,
        "followups/followup_schedule.html",
        {"form": form, "person": person},
        status=status,
    )


@login_required
def followup_plan(request: HttpRequest, encounter_id: int) -> HttpResponse:
    """The program's default follow-ups for a just-logged encounter."""
    encounter = _or_404(
        cases_selectors.encounter_get_for, user=request.user, encounter_id=encounter_id
    )
    steps = selectors.followup_plan_for(encounter=encounter)
    if not steps or encounter.person_id is None:
        return redirect("encounter-detail", encounter.pk)
    form = FollowupPlanForm(
        _form_data(request), steps=steps, time_zone=encounter.program.time_zone
    )
    status = 200
    if form.is_bound and form.is_valid():
        try:
            scheduled = services.followups_schedule_plan(
                by=request.user,
                encounter=encounter,
                steps=form.chosen_steps(),
                at=form.cleaned_data["at"],
            )
        except DomainError as exc:
            status = _failed(request, exc, form)
        else:
            if scheduled:
                messages.success(
                    request,
                    f"{len(scheduled)} follow-up{'s' if len(scheduled) != 1 else ''} "
                    "scheduled.",
                )
            return redirect(
                reverse("person-detail", args=[encounter.person_id]) + "#timeline"
            )
    at = (form.cleaned_data.get("at") if form.is_bound else None) or form.fields[
        "at"
    ].initial
    proposals = [
        {
            "step": step,
            "due_at": services.due_in_days(
                program=encounter.program,
                days=step.days_after,
                at=at,
                now=encounter.started_at,
            ),
        }
        for step in steps
    ]
    return render(
        request,
        "followups/followup_plan.html",
        {
            "encounter": encounter,
            "form": form,
            "proposals": proposals,
            "already": list(
                selectors.followup_list_for_encounter(
                    user=request.user, encounter=encounter
                )
            ),
        },
        status=status,
    )


# --- managers ----------------------------------------------------------------


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    """The team's overdue follow-ups: per navigator, then the list."""
    managed = _managed_program_ids(request.user)
    followups = FollowupFilter(
        request.GET or None,
        queryset=selectors.overdue_followups_for_manager(user=request.user),
        request=request,
    )
    page = _page(request, followups.qs)
    _with_overdue(page.object_list)
    return render(
        request,
        "followups/overdue.html",
        {
            "by_navigator": selectors.overdue_by_navigator_for_manager(
                user=request.user
            ),
            "page_obj": page,
            "assigned_to": request.GET.get("assigned_to", ""),
            "show_program": len(managed) > 1,
        },
    )


def _mask(deliveries: Iterable[Delivery]) -> None:
    # Managers see that a message went out, not where: the address is
    # personal data of the navigator or of the person served.
    for delivery in deliveries:
        delivery.masked_recipient = mask_recipient(delivery.recipient)
        delivery.masked_error = (
            delivery.error.replace(delivery.recipient, delivery.masked_recipient)
            if delivery.recipient
            else delivery.error
        )


@login_required
def deliveries(request: HttpRequest) -> HttpResponse:
    managed = _managed_program_ids(request.user)
    found = DeliveryFilter(
        request.GET or None,
        queryset=selectors.delivery_list_for_manager(user=request.user),
        request=request,
    )
    page = _page(request, found.qs)
    _mask(page.object_list)
    return render(
        request,
        "followups/deliveries.html",
        {
            "filter": found,
            "page_obj": page,
            "failed_count": selectors.delivery_failed_count_for_manager(
                user=request.user
            ),
            "show_program": len(managed) > 1,
        },
    )


def _settings_program(request: HttpRequest) -> tuple[Program, list[Program]]:
    _managed_program_ids(request.user)
    programs = list(program_list_for(user=request.user, roles=(Role.PROGRAM_MANAGER,)))
    wanted = request.GET.get("program")
    for program in programs:
        if str(program.pk) == wanted:
            return program, programs
    if wanted:
        raise Http404  # not a program this user manages
    return programs[0], programs


def _settings_page(
    request: HttpRequest,
    program: Program,
    programs: list[Program],
    *,
    settings_form: FollowupSettingsForm | None = None,
    step_form: PlanStepForm | None = None,
    status: int = 200,
) -> HttpResponse:
    config = selectors.followup_settings_for(program=program)
    return render(
        request,
        "followups/settings.html",
        {
            "program": program,
            "programs": programs,
            "settings_form": settings_form or FollowupSettingsForm(config=config),
            "step_form": step_form or PlanStepForm(),
            "steps": list(selectors.followup_plan_steps_for(program=program)),
        },
        status=status,
    )


def _settings_url(program: Program, anchor: str = "") -> str:
    return f"{reverse('followup-settings')}?program={program.pk}{anchor}"


@login_required
def followup_settings(request: HttpRequest) -> HttpResponse:
    program, programs = _settings_program(request)
    if request.method != "POST":
        return _settings_page(request, program, programs)
    form = FollowupSettingsForm(
        request.POST, config=selectors.followup_settings_for(program=program)
    )
    status = 200
    if form.is_valid():
        try:
            services.followup_settings_update(
                by=request.user, program=program, data=form.cleaned_data
            )
        except DomainError as exc:
            status = _failed(request, exc, form)
        else:
            messages.success(request, "Reminder settings saved.")
            return redirect(_settings_url(program))
    return _settings_page(request, program, programs, settings_form=form, status=status)


@login_required
@require_POST
def plan_step_add(request: HttpRequest) -> HttpResponse:
    program, programs = _settings_program(request)
    form = PlanStepForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.followup_plan_step_add(
                by=request.user, program=program, **form.cleaned_data
            )
        except DomainError as exc:
            status = _failed(request, exc, form)
        else:
            messages.success(request, "Plan step added.")
            return redirect(_settings_url(program, "#plan"))
    return _settings_page(request, program, programs, step_form=form, status=status)


@login_required
@require_POST
def plan_step_remove(request: HttpRequest, step_id: int) -> HttpResponse:
    step = _or_404(
        selectors.followup_plan_step_get_for_manager,
        user=request.user,
        step_id=step_id,
    )
    try:
        services.followup_plan_step_remove(by=request.user, step=step)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Plan step “{step}” removed.")
    return redirect(_settings_url(step.program, "#plan"))


# --- the user's own preferences and calendar feed ----------------------------


def _preferences_page(
    request: HttpRequest,
    *,
    form: NotificationPreferenceForm | None = None,
    feed_url: str = "",
    status: int = 200,
) -> HttpResponse:
    preference = selectors.notification_preference_for(user=request.user)
    return render(
        request,
        "followups/preferences.html",
        {
            "form": form or NotificationPreferenceForm(preference=preference),
            "feed": selectors.calendar_feed_active_for(user=request.user),
            "feed_url": feed_url,
        },
        status=status,
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    _require_staff(request.user)
    if request.method != "POST":
        return _preferences_page(request)
    form = NotificationPreferenceForm(
        request.POST,
        preference=selectors.notification_preference_for(user=request.user),
    )
    status = 200
    if form.is_valid():
        try:
            services.notification_preference_set(
                by=request.user,
                channel=form.cleaned_data["channel"],
                phone=form.cleaned_data["phone"],
            )
        except DomainError as exc:
            status = _failed(request, exc, form)
        else:
            messages.success(request, "Notification preferences saved.")
            return redirect("followup-preferences")
    return _preferences_page(request, form=form, status=status)


@never_cache
@login_required
@require_POST
def calendar_feed_create(request: HttpRequest) -> HttpResponse:
    """A new private feed URL, shown in this one response and never again."""
    _require_staff(request.user)
    _feed, token = services.calendar_feed_create(by=request.user)
    url = request.build_absolute_uri(reverse("followup-calendar-feed", args=[token]))
    messages.success(
        request, "New calendar link created. Any earlier link no longer works."
    )
    return _preferences_page(request, feed_url=url)


@login_required
@require_POST
def calendar_feed_revoke(request: HttpRequest) -> HttpResponse:
    _require_staff(request.user)
    if services.calendar_feed_revoke(by=request.user):
        messages.success(request, "Calendar link revoked. It no longer works.")
    return redirect(reverse("followup-preferences") + "#calendar")


@never_cache
def calendar_feed(request, token: str):
    """The private feed URL is the credential; a revoked one is 404."""
    user = services.calendar_feed_user(token=token)
    if user is None:
        raise Http404
    body = calendar.followups_ics(
        selectors.followups_for_calendar(user=user), now=timezone.now()
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="navigator-followups.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
