"""The familiar-faces rules: the overview, a new rule, editing, on / off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cases.familiar import selectors, services
from cases.familiar.forms import RuleForm
from cases.familiar.services import DEFAULT_RULE
from navigator.errors import DomainError
from navigator.http import AuthedRequest
from navigator.selectors import staff_program_ids_for
from navigator.views import apply_domain_error, form_data


@login_required
@require_GET
def familiar_rules(request: AuthedRequest) -> HttpResponse:
    """The rules the list is computed from. A read: a program without a rule
    is said so here and gets the default one from the evaluation
    (``services.familiar_faces_evaluate_program``), not from this GET."""
    user = request.user
    selectors.familiar_faces_access(user=user, action="rules")
    rules = list(selectors.familiar_rules_overview_for(user=user))
    editable = {
        rule.pk
        for rule in rules
        if selectors.familiar_rule_allowed(user=user, rule=rule, action="edit")
    }
    return render(
        request,
        "familiar/rules.html",
        {
            "rules": rules,
            "editable": editable,
            "without_rules": list(
                selectors.familiar_programs_without_rules_for(user=user)
            ),
            "default_rule": DEFAULT_RULE["name"],
            "is_manager": selectors.familiar_faces_allowed(
                user=user, action="rule_create"
            ),
            "show_program": len(staff_program_ids_for(user=user)) > 1,
        },
    )


@login_required
def familiar_rule_create(request: AuthedRequest) -> HttpResponse:
    selectors.familiar_faces_access(user=request.user, action="rule_create")
    form = RuleForm(
        form_data(request),
        programs=selectors.familiar_rule_programs_for(user=request.user),
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


@login_required
def familiar_rule_edit(request: AuthedRequest, rule_id: int) -> HttpResponse:
    rule = selectors.familiar_rule_get_for(
        user=request.user, rule_id=rule_id, action="edit"
    )
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
def familiar_rule_active(request: AuthedRequest, rule_id: int) -> HttpResponse:
    """Turn a rule off or on. The wanted state is sent (not "toggle"), so a
    double submit does not undo itself."""
    rule = selectors.familiar_rule_get_for(
        user=request.user, rule_id=rule_id, action="edit"
    )
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
