"""The managers' referral conversion report: of the referrals a program sent
in a period, how many each agency accepted and how many connected the person
to the service, and how long the first answer took.

Closed-loop referral practice (and the HL7 SDOH guide's Task outcome) keeps
"closed" apart from "connected": a referral counts as connected only when it
was completed with the outcome "connected to service" - a completed referral
the person declined, or one cancelled after acceptance, never does.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, F, Q, QuerySet

from navigator.errors import DomainError
from navigator.models import Program, User
from navigator.selectors import program_access
from referrals.models import Referral, ReferralOutcome, ReferralStatus

S = ReferralStatus
# A period longer than this is a request for the whole history by mistake.
MAX_PERIOD_DAYS = 731


@dataclass(frozen=True)
class ConversionRow:
    """One agency's figures over the period (``agency_id`` None: all)."""

    agency_id: int | None
    agency_name: str
    agency_slug: str
    sent: int
    accepted: int
    connected: int
    # Median time from request to the agency's first answer (accepted or
    # declined), of those answered; None when none was.
    median_response: datetime.timedelta | None

    @property
    def accepted_percent(self) -> int | None:
        return round(100 * self.accepted / self.sent) if self.sent else None

    @property
    def connected_percent(self) -> int | None:
        return round(100 * self.connected / self.sent) if self.sent else None

    @property
    def median_response_hours(self) -> float | None:
        if self.median_response is None:
            return None
        return round(self.median_response.total_seconds() / 3600, 1)


class _Median(Aggregate):
    # PostgreSQL's ordered-set aggregate; the interval's median as an interval.
    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def _median(waits: list[datetime.timedelta]) -> datetime.timedelta:
    return datetime.timedelta(
        seconds=statistics.median(w.total_seconds() for w in waits)
    )


def period_bounds(
    program: Program, start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants of local midnight starting ``start`` and ending ``end``
    (both days included), in the program's time zone."""
    if end < start:
        raise DomainError.for_field("end", "The period ends before it starts.")
    if end >= datetime.date.max - datetime.timedelta(days=1):
        raise DomainError.for_field("end", "Choose an end date before the year 9999.")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise DomainError.for_field(
            "start", f"Choose a period of at most {MAX_PERIOD_DAYS} days."
        )
    tz = program.tz
    return (
        datetime.datetime.combine(start, datetime.time(), tzinfo=tz),
        datetime.datetime.combine(
            end + datetime.timedelta(days=1), datetime.time(), tzinfo=tz
        ),
    )


def _sent_in(program: Program, start: datetime.date, end: datetime.date) -> QuerySet:
    since, until = period_bounds(program, start, end)
    # Sent = requested in the period; one entered in error was never a real
    # referral (FHIR Task: "entered-in-error").
    return (
        Referral.objects.filter(
            program_id=program.pk, requested_at__gte=since, requested_at__lt=until
        )
        .exclude(status=S.ENTERED_IN_ERROR)
        .order_by()
    )


# From requested the first answer is accepted or rejected, and rejected is
# final (referrals.lifecycle): answered and not rejected = it was accepted,
# whatever happened after (started, cancelled, failed, completed).
ACCEPTED = Q(responded_at__isnull=False) & ~Q(status=S.REJECTED)
CONNECTED = Q(status=S.COMPLETED, outcome=ReferralOutcome.CONNECTED)


def referral_conversion(
    *, user: User, program_id: int, start: datetime.date, end: datetime.date
) -> list[ConversionRow]:
    """Sent → accepted → connected by agency, for referrals the program sent
    from ``start`` to ``end`` (days in its time zone, both included), the
    busiest agency first, then a last row of the totals. Managers of the
    program only (``program_access``)."""
    program_access(user=user, program_id=program_id)
    program = Program.objects.get(pk=program_id)
    sent = _sent_in(program, start, end)
    postgres = connection.vendor == "postgresql"
    figures: dict[str, Aggregate] = {
        "sent": Count("id"),
        "accepted": Count("id", filter=ACCEPTED),
        "connected": Count("id", filter=CONNECTED),
    }
    if postgres:
        answered = Q(responded_at__isnull=False)
        figures["median"] = _Median(
            F("responded_at") - F("requested_at"), filter=answered
        )
    grouped = list(
        sent.values("agency_id", "agency__name", "agency__slug").annotate(**figures)
    )
    total = sent.aggregate(**figures)
    medians: dict[int | None, datetime.timedelta | None] = {}
    if postgres:
        medians = {g["agency_id"]: g["median"] for g in grouped}
        medians[None] = total["median"]
    else:
        # SQLite has no ordered-set aggregate: the waits, in Python.
        waits: dict[int | None, list[datetime.timedelta]] = {}
        for agency_id, asked, answered_at in sent.filter(
            responded_at__isnull=False
        ).values_list("agency_id", "requested_at", "responded_at"):
            waits.setdefault(agency_id, []).append(answered_at - asked)
            waits.setdefault(None, []).append(answered_at - asked)
        medians = {k: _median(v) for k, v in waits.items()}
    rows = [
        ConversionRow(
            agency_id=g["agency_id"],
            agency_name=g["agency__name"],
            agency_slug=g["agency__slug"],
            sent=g["sent"],
            accepted=g["accepted"],
            connected=g["connected"],
            median_response=medians.get(g["agency_id"]),
        )
        for g in grouped
    ]
    rows.sort(key=lambda r: (-r.sent, r.agency_name, r.agency_id or 0))
    rows.append(
        ConversionRow(
            agency_id=None,
            agency_name="All agencies",
            agency_slug="",
            sent=total["sent"],
            accepted=total["accepted"],
            connected=total["connected"],
            median_response=medians.get(None),
        )
    )
    return rows
