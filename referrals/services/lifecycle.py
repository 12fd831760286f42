"""The status moves: one service, ``referral_transition``, checks each move
against the state machine (``referrals.lifecycle``), who may make it, the
reason or outcome it needs, and the consent gate; appends the history;
audits; and, for a group, cancels the others when one accepts."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from followups.models import Method
from followups.services import followup_schedule
from navigator.audit import diff, snapshot
from navigator.errors import Conflict, DomainError, PermissionDenied
from navigator.models import AuditAction, User
from referrals.lifecycle import MOVE_BY_ACTION, Move, allowed_targets, move_for
from referrals.models import (
    DeclinedBy,
    ReasonCode,
    Referral,
    ReferralOutcome,
    ReferralStatus,
    ReferralStatusChange,
)
from referrals.selectors import referral_access
from referrals.services._common import AUDITED_FIELDS, audit, consent_gate, lock
from referrals.webhooks import events as webhook_events

S = ReferralStatus
SYSTEM_REASONS = frozenset({ReasonCode.EXPIRED, ReasonCode.PLACED_ELSEWHERE})


def _illegal(referral: Referral, to: str) -> Conflict:
    allowed = allowed_targets(referral.status)
    listed = ", ".join(allowed) if allowed else "none (it is closed)"
    return Conflict(
        f"A {referral.status} referral cannot become {to}. Allowed: {listed}.",
        code="invalid_transition",
        fields={"status": [f"Allowed from {referral.status}: {listed}."]},
    )


def _check_reason(move: Move, reason_code: str, declined_by: str, note: str) -> None:
    if not move.needs_reason:
        return
    # "expired" is the sweep's reason (referral_expire) and "placed
    # elsewhere" the group's (a sibling accepted): never a person's.
    if reason_code not in ReasonCode.values or reason_code in SYSTEM_REASONS:
        raise DomainError.for_field(
            "reason_code",
            "Choose why.",
            code="required" if not reason_code else "invalid",
        )
    if reason_code == ReasonCode.OTHER and not note.strip():
        raise DomainError.for_field("note", 'Say why (the reason is "other").')
    if declined_by and declined_by not in DeclinedBy.values:
        raise DomainError.for_field("declined_by", "Say who declined.")


def _apply(
    referral: Referral,
    move: Move,
    *,
    by: User | None,
    on_behalf_of_agency: bool,
    reason_code: str = "",
    declined_by: str = "",
    note: str = "",
    outcome: str = "",
) -> None:
    before = snapshot(referral, AUDITED_FIELDS)
    now = timezone.now()
    from_status = referral.status
    referral.status = move.to
    referral.status_changed_at = now
    if move.needs_reason:
        referral.status_reason = reason_code
        referral.declined_by = declined_by or (
            DeclinedBy.AGENCY if move.to == S.REJECTED else ""
        )
    if move.to == S.REQUESTED:
        referral.requested_at = now
    if move.to in (S.ACCEPTED, S.REJECTED) and referral.responded_at is None:
        referral.responded_at = now
    if move.to == S.COMPLETED:
        referral.outcome = outcome
        referral.outcome_note = note.strip()
    if move.to in (S.REJECTED, S.COMPLETED, S.CANCELLED, S.FAILED, S.ENTERED_IN_ERROR):
        referral.closed_at = now
    referral.save()
    history = ReferralStatusChange(
        referral=referral,
        at=now,
        by=by,
        on_behalf_of_agency=on_behalf_of_agency,
        from_status=from_status,
        to_status=move.to,
        reason_code=reason_code if move.needs_reason else "",
        declined_by=referral.declined_by if move.needs_reason else "",
        note=note.strip(),
    )
    history.full_clean(exclude=["referral", "by"])
    history.save()
    # The agency's webhook, in this transaction (nothing if rolled back).
    webhook_events.referral_moved(referral, action=move.action)
    audit(
        by,
        AuditAction.UPDATE,
        referral,
        diff(before, snapshot(referral, AUDITED_FIELDS)),
        note.strip() if move.needs_reason else "",
    )


def request_checked(referral: Referral, *, by: User, override_reason: str = "") -> None:
    """draft → requested for a referral the caller has locked and checked."""
    move = MOVE_BY_ACTION["request"]
    if referral.status not in move.sources:
        raise _illegal(referral, move.to)
    before_override = referral.consent_override_reason
    consent_gate(referral, by=by, override_reason=override_reason)
    _apply(referral, move, by=by, on_behalf_of_agency=False)
    if referral.consent_override_reason and not before_override:
        # Its own event, so the managers' audit view lists every override.
        audit(
            by,
            AuditAction.UPDATE,
            referral,
            {"consent_override": [None, "emergency"]},
            referral.consent_override_reason,
        )


def _placed_elsewhere(winner: Referral) -> None:
    if winner.group_id is None:
        return
    siblings = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("program", "person")
        .filter(group_id=winner.group_id)
        .exclude(pk=winner.pk)
        .filter(status__in=[S.DRAFT, S.REQUESTED])
        .order_by("pk")
    )
    cancel = MOVE_BY_ACTION["cancel"]
    error = MOVE_BY_ACTION["enter_in_error"]
    for sibling in siblings:
        # A sibling still a draft was never sent: it was a mistake to keep.
        move = cancel if sibling.status == S.REQUESTED else error
        _apply(
            sibling,
            move,
            by=None,
            on_behalf_of_agency=False,
            reason_code=ReasonCode.PLACED_ELSEWHERE if move is cancel else "",
            note=f"Placed elsewhere: referral #{winner.pk} was accepted.",
        )


@transaction.atomic
def referral_transition(
    *,
    by: User,
    referral: Referral,
    to: str,
    reason_code: str = "",
    declined_by: str = "",
    note: str = "",
    outcome: str = "",
    consent_override_reason: str = "",
    followup_due_at: datetime.datetime | None = None,
) -> Referral:
    """Move a referral to ``to`` (a FHIR Task status), as ``by``.

    Staff make the program's moves themselves and may record the agency's
    (accepted, rejected, started, on hold, completed) on its behalf; the
    history marks those. ``followup_due_at``: also schedule a follow-up
    with the person then (the page proposes one, e.g. three days after an
    acceptance), in the same transaction.
    """
    referral = lock(referral, by=by, action="view")
    move = move_for(status=referral.status, to=to)
    if move is None:
        raise _illegal(referral, to)
    if move.actor == "system":
        raise PermissionDenied(
            f"Only the system marks a referral {to} (when it expires).",
            code="system_only",
        )
    # The move's own access question, of the locked row.
    referral_access(user=by, referral=referral, action=move.action)  # type: ignore[arg-type]
    _check_reason(move, reason_code, declined_by, note)
    if move.to == S.COMPLETED and outcome not in ReferralOutcome.values:
        raise DomainError.for_field(
            "outcome",
            "Choose the outcome (connected to service, person declined, …).",
            code="required" if not outcome else "invalid",
        )
    if move.action == "request":
        request_checked(referral, by=by, override_reason=consent_override_reason)
    else:
        _apply(
            referral,
            move,
            by=by,
            on_behalf_of_agency=move.actor == "agency",
            reason_code=reason_code,
            declined_by=declined_by,
            note=note,
            outcome=outcome,
        )
    if move.to == S.ACCEPTED:
        _placed_elsewhere(referral)
    if followup_due_at is not None:
        try:
            followup_schedule(
                by=by,
                person=referral.person,
                due_at=followup_due_at,
                method=Method.PHONE,
                purpose="Check in after a referral",
                encounter=referral.encounter,
            )
        except DomainError as exc:
            # The caller gave followup_due_at: name that, not the follow-up's
            # own due_at (the move is rolled back with it).
            if "due_at" in exc.fields:
                exc.fields = {
                    "followup_due_at" if k == "due_at" else k: v
                    for k, v in exc.fields.items()
                }
            raise
    return referral


@transaction.atomic
def referral_act(
    *,
    by: User,
    referral: Referral,
    action: str,
    reason_code: str = "",
    declined_by: str = "",
    note: str = "",
    outcome: str = "",
    consent_override_reason: str = "",
    followup_due_at: datetime.datetime | None = None,
) -> Referral:
    """The API's and the board's verbs (``accept``, ``reject`` …): one move
    by its action name, through ``referral_transition``."""
    move = MOVE_BY_ACTION.get(action)
    if move is None or move.actor == "system":
        raise DomainError.for_field("action", f"Unknown action {action!r}.")
    return referral_transition(
        by=by,
        referral=referral,
        to=move.to,
        reason_code=reason_code,
        declined_by=declined_by,
        note=note,
        outcome=outcome,
        consent_override_reason=consent_override_reason,
        followup_due_at=followup_due_at,
    )


@transaction.atomic
def referral_expire(*, referral_id: int, idle_since: datetime.datetime) -> bool:
    """The sweep's move: fail a referral nobody moved since ``idle_since``
    with reason "expired". Safe to repeat: a referral already closed, or
    moved meanwhile, is left alone (False)."""
    referral = lock(referral_id, by=None, action="view")
    move = move_for(status=referral.status, to=S.FAILED)
    if move is None or referral.status_changed_at > idle_since:
        return False
    _apply(
        referral,
        move,
        by=None,
        on_behalf_of_agency=False,
        reason_code=ReasonCode.EXPIRED,
        note="No change for too long: expired automatically.",
    )
    return True
