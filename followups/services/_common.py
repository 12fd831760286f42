"""What the follow-up services share: the audited fields, the audit call,
the row lock and the "still open" check."""

from __future__ import annotations

from typing import Any

from followups.models import Followup, Status
from followups.selectors import FollowupAction, followup_access
from navigator.audit import audit_record
from navigator.errors import Conflict
from navigator.models import User

AUDITED_FIELDS = (
    "due_at",
    "assigned_to_id",
    "method",
    "contact_id",
    "purpose",
    "priority",
    "status",
    "remind_person",
    "outcome",
    "notes",
    "completed_at",
    "completed_by_id",
    "cancelled_reason",
    "closed_at",
    "escalated_at",
)


def _audit(
    by: User | None,
    action: str,
    followup: Followup,
    changes: dict[str, Any],
    reason: str = "",
) -> None:
    audit_record(
        actor=by,
        action=action,
        obj=followup,
        person_id=followup.person_id,
        program_id=followup.program_id,
        changes=changes,
        reason=reason,
    )


def _lock(followup: Followup, *, by: User, action: FollowupAction) -> Followup:
    # Access asked again of the locked row: a direct service call enforces
    # what the pages and the API do (followups.selectors.followup_access).
    locked = (
        Followup.objects.select_for_update(of=("self",))
        .select_related("program", "person")
        .get(pk=followup.pk)
    )
    followup_access(user=by, followup=locked, action=action)
    return locked


def _require_open(followup: Followup, doing: str) -> None:
    if followup.status != Status.SCHEDULED:
        raise Conflict(
            f"Cannot {doing} a follow-up that is {followup.get_status_display().lower()}.",
            code="invalid_transition",
        )
