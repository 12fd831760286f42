"""Familiar-faces pages: the list, its CSV, rules, outcomes, history, the panel.

Program managers act; navigators and caseworkers of the program read. Users
with no staff role (admins, partners) get 404 everywhere, and so does a
non-manager on an action page: out of scope reads as missing (DESIGN.md).
Every write is one audited service call in ``cases.familiar.services``.
"""

from __future__ import annotations

import csv
import datetime
from collections import Counter
from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from cases import selectors as cases_selectors
from cases.familiar import selectors, services
from cases.familiar.filters import FamiliarFaceFilter
from cases.familiar.forms import (
    DismissForm,
    EndEnrollmentForm,
    EnrollForm,
    MonthForm,
    OutcomesForm,
    RuleForm,
)
from cases.models import FamiliarFaceFlag, FlagStatus
from navigator import disclosure
from navigator.errors import DomainError
from navigator.models import Role, User
from navigator.selectors import is_manager_of, program_ids_for, program_list_for
from navigator.views import apply_domain_error, form_data, or_404, paginate

LONG_PAGE_SIZE = 50
# The CSV is built this many flags at a time: a bounded number of ids per
# ``IN (...)`` whatever the list's length.
EXPORT_CHUNK = 500
DEFAULT_OUTCOME_DAYS = 90

T = TypeVar("T")


# --- small helpers -----------------------------------------------------------


def _managed(user: User) -> list[int]:
    return program_ids_for(user=user, roles=(Role.PROGRAM_MANAGER,))


def _require_staff(user: User) -> None:
    if not program_ids_for(user=user):
        raise Http404


def _require_manager_of(user: User, program_id: int) -> None:
    if not is_manager_of(user=user, program_id=program_id):
        raise Http404


def _list_url() -> str:
    return reverse("familiar:list")


def _back(request: HttpRequest, default: str) -> str:
    # Back to the list with its filters and page, but only to this site.
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- the list ----------------------------------------------------------------


@login_required
@require_GET
def familiar_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_staff(user)
    flags = FamiliarFaceFilter(
        request.GET or None,
        queryset=selectors.familiar_faces_for(user=user),
        request=request,
    )
    page = paginate(request, flags.qs)
    rows = selectors.familiar_faces_rows(page.object_list)
    managed = set(_managed(user))
    to_enroll = sorted(
        {r["flag"].program_id for r in rows if r["flag"].program_id in managed}
    )
    choices = (
        selectors.enrollment_navigator_choices(program_ids=to_enroll)
        if to_enroll
        else {}
    )
    for row in rows:
        row["can_act"] = row["flag"].program_id in managed
        row["navigator_choices"] = choices.get(row["flag"].program_id, [])
    services.familiar_rows_shown(by=user, rows=rows)
    return render(
        request,
        "familiar/list.html",
        {
            "filter": flags,
            "page_obj": page,
            "rows": rows,
            "is_manager": bool(managed),
            "show_program": len(program_ids_for(user=user)) > 1,
            "here": request.get_full_path(),
        },
    )


CSV_COLUMNS = [
    "person_id",
    "external_id",
    "name",
    "program",
    "rule",
    "contacts",
    "window_start",
    "window_end",
    "previous_contacts",
    "trend",
    "last_contact",
    "top_concerns",
    "dispositions",
    "overdue_followups",
    "navigator",
    "enrollment_status",
]


def _csv_cell(value: Any) -> Any:
    # A cell starting with = + - @ (or a tab / CR) is run as a formula by
    # spreadsheet programs; names are typed by people (OWASP CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _local(moment: datetime.datetime | None, flag: FamiliarFaceFlag) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment, flag.program.tz).isoformat(timespec="minutes")


def _csv_row(row: dict) -> list[Any]:
    flag = row["flag"]
    navigator = row["navigator"]
    return [
        _csv_cell(value)
        for value in (
            row["person"].pk,
            row["person"].external_id,
            row["person"].display_name,
            flag.program.name,
            flag.rule.name,
            row["contacts"],
            _local(flag.window_start, flag),
            _local(flag.window_end, flag),
            row["previous_contacts"],
            row["trend"],
            _local(row["last_contact"], flag),
            "; ".join(row["top_concerns"]),
            "; ".join(row["dispositions"]),
            row["overdue_followups"],
            (navigator.get_full_name() or navigator.username) if navigator else "",
            row["enrollment_status"],
        )
    ]


def _chunks(items: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@login_required
@require_GET
def familiar_export(request: HttpRequest) -> HttpResponse:
    """The list as CSV, for managers: the same columns, no narrative text
    (no plans, no dismissal reasons). Every export is audited per program."""
    user = request.user
    managed = _managed(user)
    if not managed:
        raise Http404
    flags = FamiliarFaceFilter(
        request.GET or None,
        queryset=selectors.familiar_faces_for_manager(user=user),
        request=request,
    )
    if flags.is_bound and not flags.is_valid():
        # An ignored filter would export more than the manager asked for:
        # back to the list, which shows what is wrong.
        return redirect(f"{_list_url()}?{request.GET.urlencode()}")
    rows: list[dict] = []
    for chunk in _chunks(list(flags.qs), EXPORT_CHUNK):
        rows.extend(selectors.familiar_faces_rows(chunk))
    services.familiar_rows_shown(by=user, rows=rows)
    per_program = Counter(row["flag"].program_id for row in rows)
    chosen = flags.form.cleaned_data.get("program") if flags.is_bound else None
    scope = [chosen.pk] if chosen is not None else managed
    for program_id in scope:
        if program_id in managed:
            services.familiar_list_exported(
                by=user, program_id=program_id, rows=per_program[program_id]
            )
    stamp = timezone.localdate().isoformat()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="familiar-faces-{stamp}.csv"'
    )
    # Health data: never kept in a shared or browser cache.
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(row) for row in rows)
    return response


# --- manager actions on a row ------------------------------------------------


def _flag_for_action(request: HttpRequest, flag_id: int) -> FamiliarFaceFlag:
    flag = or_404(selectors.familiar_face_get_for, user=request.user, flag_id=flag_id)
    _require_manager_of(request.user, flag.program_id)
    return flag


def _flag_shown(request: HttpRequest, flag: FamiliarFaceFlag) -> None:
    # The page says why the person is on the list (familiar/_why.html).
    disclosure.record_opened(
        by=request.user, record=flag, kind=disclosure.FAMILIAR_FACES
    )


@login_required
def familiar_enroll(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = _flag_for_action(request, flag_id)
    form = EnrollForm(
        form_data(request),
        navigators=selectors.enrollment_navigators_for(program_id=flag.program_id),
    )
    if form.is_bound and form.is_valid():
        try:
            services.familiar_enroll(
                by=request.user,
                person=flag.person,
                navigator=form.cleaned_data["navigator"],
                plan=form.cleaned_data["plan"],
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(
                request,
                f"{flag.person.display_name} is enrolled in intensive follow-up.",
            )
            return redirect(_back(request, _list_url()))
    _flag_shown(request, flag)
    return render(
        request,
        "familiar/enroll.html",
        {"flag": flag, "form": form, "next": _back(request, _list_url())},
    )


@login_required
def familiar_dismiss(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = _flag_for_action(request, flag_id)
    form = DismissForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.familiar_flag_dismiss(
                by=request.user, flag=flag, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(
                request,
                f"{flag.person.display_name} is off the list until they have "
                "new contacts.",
            )
            return redirect(_back(request, _list_url()))
    _flag_shown(request, flag)
    return render(
        request,
        "familiar/dismiss.html",
        {
            "flag": flag,
            "form": form,
            "is_active": flag.status == FlagStatus.ACTIVE,
            "next": _back(request, _list_url()),
        },
    )


@login_required
def familiar_enrollment_end(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    enrollment = or_404(
        selectors.enrollment_get_for, user=request.user, enrollment_id=enrollment_id
    )
    _require_manager_of(request.user, enrollment.program_id)
    person_page = reverse("person-detail", args=[enrollment.person_id])
    form = EndEnrollmentForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.familiar_enrollment_end(
                by=request.user,
                enrollment=enrollment,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "The enrollment has ended.")
            return redirect(person_page + "#familiar-faces")
    disclosure.record_opened(
        by=request.user, record=enrollment, kind=disclosure.ENROLLMENT
    )
    return render(
        request,
        "familiar/enrollment_end.html",
        {"enrollment": enrollment, "form": form, "person_page": person_page},
    )


# --- rules -------------------------------------------------------------------


@login_required
@require_GET
def familiar_rules(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_staff(user)
    # A program that never had a rule gets the default (4 in 90 days), so
    # the page always shows what the list is computed from.
    for program in program_list_for(user=user):
        services.rules_ensure_default(program=program)
    managed = set(_managed(user))
    rules = list(selectors.familiar_rules_overview_for(user=user))
    for rule in rules:
        rule.can_edit = rule.program_id in managed
    return render(
        request,
        "familiar/rules.html",
        {
            "rules": rules,
            "is_manager": bool(managed),
            "show_program": len(program_ids_for(user=user)) > 1,
        },
    )


@login_required
def familiar_rule_create(request: HttpRequest) -> HttpResponse:
    managed = _managed(request.user)
    if not managed:
        raise Http404
    programs = program_list_for(user=request.user, roles=(Role.PROGRAM_MANAGER,))
    form = RuleForm(
        form_data(request),
        programs=programs,
        initial={"min_encounters": 4, "window_days": 90, "is_active": True},
    )
    if form.is_bound and form.is_valid():
        try:
            services.familiar_rule_create(
                by=request.user, program=form.chosen_program(), data=form.rule_data()
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(
                request, "Rule added. The list is being recomputed with it."
            )
            return redirect("familiar:rules")
    return render(request, "familiar/rule_form.html", {"form": form})


def _rule_for_manager(request: HttpRequest, rule_id: int):
    rule = (
        selectors.familiar_faces_rules_for(user=request.user).filter(pk=rule_id).first()
    )
    if rule is None:
        raise Http404
    _require_manager_of(request.user, rule.program_id)
    return rule


@login_required
def familiar_rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_for_manager(request, rule_id)
    form = RuleForm(form_data(request), rule=rule)
    if form.is_bound and form.is_valid():
        try:
            services.familiar_rule_update(
                by=request.user, rule=rule, data=form.rule_data()
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(
                request, "Rule saved. The list is being recomputed with it."
            )
            return redirect("familiar:rules")
    return render(request, "familiar/rule_form.html", {"form": form, "rule": rule})


@login_required
@require_POST
def familiar_rule_active(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Turn a rule off or on. The wanted state is sent (not "toggle"), so a
    double submit does not undo itself."""
    rule = _rule_for_manager(request, rule_id)
    active = request.POST.get("is_active") == "true"
    try:
        services.familiar_rule_update(
            by=request.user, rule=rule, data={"is_active": active}
        )
    except DomainError as exc:
        apply_domain_error(request, exc)
    else:
        messages.success(
            request,
            f"“{rule.name}” is on again; the list is being recomputed."
            if active
            else f"“{rule.name}” is off; the people it flagged left the list "
            "(kept in their history).",
        )
    return redirect("familiar:rules")


# --- outcomes and history ----------------------------------------------------


def _percent_change(before: int, after: int) -> int | None:
    return None if before == 0 else round(100 * (after - before) / before)


@login_required
@require_GET
def familiar_outcomes(request: HttpRequest) -> HttpResponse:
    """Contacts in the N days before enrollment vs the N days after."""
    user = request.user
    if not _managed(user):
        raise Http404
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
    for part in totals.values():
        part["percent"] = _percent_change(part["before"], part["after"])
    return render(
        request,
        "familiar/outcomes.html",
        {
            "form": form,
            "days": days,
            "page_obj": page,
            "totals": totals,
            "show_program": len(_managed(user)) > 1,
        },
    )


def _shift_month(month: datetime.date, by: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + by
    return datetime.date(index // 12, index % 12 + 1, 1)


@login_required
@require_GET
def familiar_history(request: HttpRequest) -> HttpResponse:
    """Who was on the list in a month (kept by the evaluation each run)."""
    user = request.user
    _require_staff(user)
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
            "show_program": len(program_ids_for(user=user)) > 1,
        },
    )


# --- the person page's panel -------------------------------------------------


def person_panel_context(user: User, person) -> dict[str, Any]:
    """What the panel template needs; shared with the ``familiar_faces`` tags.
    Whoever renders it shows part of the person's record: noted here."""
    summary = selectors.familiar_person_summary(person=person)
    services.familiar_person_panel_viewed(
        by=user,
        person=person,
        flags=summary["flags"],
        enrollment=summary["enrollment"],
    )
    return {
        "person": person,
        **summary,
        "is_manager": is_manager_of(user=user, program_id=person.program_id),
    }


@login_required
@require_GET
def familiar_person_panel(request: HttpRequest, person_id: int) -> HttpResponse:
    """The panel the person page loads when it scrolls into view (htmx), or,
    without JavaScript, a page of its own."""
    person = or_404(
        cases_selectors.person_get_for, user=request.user, person_id=person_id
    )
    context = person_panel_context(request.user, person)
    fragment = bool(request.headers.get("HX-Request"))
    response = render(
        request,
        "familiar/_person_panel.html" if fragment else "familiar/person_panel.html",
        context,
    )
    # One URL, two bodies: a cache must not hand the fragment to a browser.
    patch_vary_headers(response, ["HX-Request"])
    return response
