"""A program's follow-up settings and its default follow-up plan (managers)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from followups.models import FollowupPlanStep, FollowupSettings, Priority
from navigator.audit import audit_record, diff, snapshot
from navigator.models import AuditAction, Program, User
from navigator.selectors import program_access
from navigator.services import validate_model


def _require_manager(by: User, program: Program) -> None:
    program_access(user=by, program_id=program.pk)


@transaction.atomic
def followup_settings_update(
    *, by: User, program: Program, data: dict[str, Any]
) -> FollowupSettings:
    _require_manager(by, program)
    config, _ = FollowupSettings.objects.select_for_update().get_or_create(
        program=program
    )
    before = snapshot(config)
    for name, value in data.items():
        if name in ("id", "program", "program_id"):
            continue
        setattr(config, name, value)
    validate_model(config)
    changes = diff(before, snapshot(config))
    if changes:
        config.save()
        audit_record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=config,
            person_id=None,
            program_id=program.pk,
            changes=changes,
        )
    return config


@transaction.atomic
def followup_plan_step_add(
    *,
    by: User,
    program: Program,
    disposition: str,
    days_after: int,
    method: str,
    purpose: str = "",
    priority: str = Priority.ROUTINE,
) -> FollowupPlanStep:
    _require_manager(by, program)
    step = FollowupPlanStep(
        program=program,
        disposition=disposition,
        days_after=days_after,
        method=method,
        purpose=purpose,
        priority=priority,
    )
    validate_model(step)
    step.save()
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=step,
        person_id=None,
        program_id=program.pk,
        changes=diff({}, snapshot(step)),
    )
    return step


@transaction.atomic
def followup_plan_step_remove(*, by: User, step: FollowupPlanStep) -> None:
    """Drop a default step. A setting, not a record about a person: it goes,
    and the audit event keeps what it was."""
    _require_manager(by, step.program)
    audit_record(
        actor=by,
        action=AuditAction.DELETE,
        obj=step,
        person_id=None,
        program_id=step.program_id,
        changes={k: [v, None] for k, v in snapshot(step).items()},
    )
    step.delete()
