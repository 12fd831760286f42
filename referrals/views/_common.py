"""What the referral pages share: the moves a row offers, the proposed
follow-up after an acceptance, the overdue flag.

Access is not decided here: the scoped selectors and the services raise
NotFound / PermissionDenied and navigator.views answers them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from navigator.models import Program
from referrals.forms import HUMAN_REASONS
from referrals.lifecycle import moves_from
from referrals.models import Referral, ReferralOutcome, ReferralStatus
from referrals.selectors import referral_is_overdue, referral_settings_for

# The usual hour for a call back (the follow-up pages use the same).
FOLLOWUP_HOUR = datetime.time(10, 0)
# What the move forms offer (templates/referrals/_moves.html).
MOVE_CHOICES = {"outcomes": ReferralOutcome.choices, "reasons": HUMAN_REASONS}


def followup_proposal(program: Program) -> tuple[int, datetime.datetime | None]:
    """Accepted → call the person in the program's
    ``followup_after_accept_days`` days, at 10:00 local: (days, wall-clock
    time in the program's zone, naive, as a datetime-local input shows it)."""
    days = referral_settings_for(program=program).followup_after_accept_days
    if not days:
        return 0, None  # the program proposes none
    local_today = timezone.localtime(timezone.now(), program.tz).date()
    when = datetime.datetime.combine(
        local_today + datetime.timedelta(days=days), FOLLOWUP_HOUR
    )
    return days, when


def with_moves(referrals: Iterable[Referral]) -> None:
    """Each row's page moves (the system's are the sweep's), its overdue
    flag, and, where it can be accepted, the follow-up the acceptance
    proposes (the program's settings read once per program)."""
    proposals: dict[int, tuple[int, datetime.datetime | None]] = {}
    for referral in referrals:
        referral.moves = [m for m in moves_from(referral.status) if m.actor != "system"]
        referral.is_overdue = referral_is_overdue(referral)
        if referral.status == ReferralStatus.REQUESTED:
            if referral.program_id not in proposals:
                proposals[referral.program_id] = followup_proposal(referral.program)
            days, when = proposals[referral.program_id]
            referral.followup_days = days
            referral.followup_at = when
