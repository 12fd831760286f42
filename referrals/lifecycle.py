"""The referral state machine: FHIR R4 Task statuses, which moves are legal,
and who makes each. Pure data and functions; the services enforce it.

FHIR R4 Task.status (http://hl7.org/fhir/R4/task.html#statemachine), as the
HL7 SDOH Clinical Care (Gravity) guide uses it for closed-loop referrals:
the sender drafts, requests, cancels; the receiver (the "performer")
accepts or rejects, starts, holds, resumes and completes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from referrals.models import ReferralStatus as S

Actor = Literal["program", "agency", "system"]


@dataclass(frozen=True)
class Move:
    action: str  # the API's action name: POST referrals/{id}/<action>/
    to: str
    sources: frozenset[str]
    actor: Actor
    needs_reason: bool = False
    label: str = ""


MOVES: tuple[Move, ...] = (
    Move("request", S.REQUESTED, frozenset({S.DRAFT}), "program", label="Send"),
    Move("accept", S.ACCEPTED, frozenset({S.REQUESTED}), "agency", label="Accept"),
    Move(
        "reject",
        S.REJECTED,
        frozenset({S.REQUESTED}),
        "agency",
        needs_reason=True,
        label="Decline",
    ),
    Move("start", S.IN_PROGRESS, frozenset({S.ACCEPTED}), "agency", label="Start"),
    Move("hold", S.ON_HOLD, frozenset({S.IN_PROGRESS}), "agency", label="Put on hold"),
    Move("resume", S.IN_PROGRESS, frozenset({S.ON_HOLD}), "agency", label="Resume"),
    Move(
        "complete", S.COMPLETED, frozenset({S.IN_PROGRESS}), "agency", label="Complete"
    ),
    Move(
        "cancel",
        S.CANCELLED,
        frozenset({S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS}),
        "program",
        needs_reason=True,
        label="Cancel",
    ),
    # Automatic expiry (referrals.sweeps): nobody moved it for too long.
    Move(
        "fail",
        S.FAILED,
        frozenset({S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD}),
        "system",
        needs_reason=True,
        label="Fail",
    ),
    Move(
        "enter_in_error",
        S.ENTERED_IN_ERROR,
        frozenset({S.DRAFT, S.REQUESTED}),
        "program",
        label="Entered in error",
    ),
)

MOVE_BY_ACTION: dict[str, Move] = {m.action: m for m in MOVES}
# Statuses nothing moves out of.
FINAL = frozenset({S.REJECTED, S.COMPLETED, S.CANCELLED, S.FAILED, S.ENTERED_IN_ERROR})
OPEN = frozenset(S.values) - FINAL
# Waiting for the agency's first answer.
AWAITING_RESPONSE = frozenset({S.REQUESTED})


def move_for(*, status: str, to: str) -> Move | None:
    """The move from ``status`` to ``to``, if one is legal."""
    for move in MOVES:
        if move.to == to and status in move.sources:
            return move
    return None


def moves_from(status: str, *, actor: Actor | None = None) -> list[Move]:
    """The legal moves out of ``status`` (those ``actor`` makes, if given)."""
    return [
        m for m in MOVES if status in m.sources and (actor is None or m.actor == actor)
    ]


def allowed_targets(status: str) -> list[str]:
    return sorted({m.to for m in moves_from(status)})
