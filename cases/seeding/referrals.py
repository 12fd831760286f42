"""The demo referrals and consents (``referrals_seed``).

Referral number k (1..``--referrals``) is generated from the seed and k:
first a script on the ``demo`` program (``SCRIPT``: every status, a group
where one service accepted and the others were cancelled as placed
elsewhere, an emergency sent without consent, substance-use referrals to
the Part 2 ``demo-clinic`` under complete §2.31 consents, a draft held back
by an incomplete one), with the consents of ``CONSENT_SCRIPT`` (valid,
expiring soon, expired, revoked, Part 2-incomplete); then referrals spread
over the programs, their people, encounters and agencies.

Each referral's history is a path the state machine allows
(``referrals.lifecycle``, checked as it is built), at times in the past
that the sweeps would have produced: an open referral moved in the last four
weeks (the idle-expiry sweep fails older ones), a failed one idled the
program's 30 days first. A referral sent to an agency relies on a consent
that allowed it then (the person's consent to that agency, recorded before,
with every §2.31 element) or, as an emergency, on an override with its
reason. The program's staff record the agency's answers on its behalf
(partner access is the next issue).

Rows go in with COPY (``navigator.bulk``), in chunks; each referral and
consent gets its audit event (``audit_records_bulk``). Idempotent: one
``seed_referrals`` audit event per run that added some records how many
keys exist; a run adds only the keys above the highest, so the same
arguments add nothing and a bigger ``--referrals`` tops up.
"""

from __future__ import annotations

import bisect
import datetime
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F
from django.db.models.functions import Mod

from cases.consents.rules import part2_missing_elements
from cases.models import (
    Consent,
    ConsentMethod,
    ConsentPurpose,
    Encounter,
    InfoClass,
    Person,
    RecipientKind,
    RevokeMethod,
)
from cases.models.consent import TPO_PURPOSES
from cases.seeding.people import PERSON_KEY
from cases.seeding.specs import PROGRAMS
from navigator.audit import AuditEntry, audit_records_bulk
from navigator.bulk import BulkLoader, _json
from navigator.context import request_id_var, source_var
from navigator.models import AuditAction, AuditEvent, Program, Role, User
from navigator.progress import Progress
from referrals.lifecycle import FINAL, move_for
from referrals.models import (
    Agency,
    DeclinedBy,
    ReasonCode,
    Referral,
    ReferralGroup,
    ReferralOutcome,
    ReferralStatus,
    ReferralStatusChange,
    Urgency,
)
from referrals.models import ServiceCategory as C
from referrals.selectors import referral_settings_for

S = ReferralStatus
G, MH, SU = InfoClass.GENERAL, InfoClass.MENTAL_HEALTH, InfoClass.SUBSTANCE_USE
DEFAULT_REFERRALS = 150
# AuditEvent.object_type of the record of a run that added referrals.
REFERRALS_MARKER = "seed_referrals"
REFERRAL_REASON = "seed_demo: synthetic demo referral"
CONSENT_REASON = "seed_demo: synthetic demo consent"
CHUNK = 10_000
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
# An open referral moved within this many days: the idle-expiry sweep
# (ReferralSettings.expire_after_days, 30 by default) fails older ones.
OPEN_WITHIN_DAYS = 28
# Of the generated referrals, the share made in those weeks.
RECENT_SHARE = 0.3
# A generated consent lasts a year (HIPAA §164.508(c)(1)(v): an end date).
CONSENT_YEAR = datetime.timedelta(days=365)
OVERRIDE_REASONS = (
    "Acute crisis on scene; unable to sign, needs a crisis bed tonight.",
    "Intoxicated and at risk; the detox nurse needed the history now.",
    "Suicidal with a plan; hand-off to the stabilization unit could not wait.",
)
OUTCOME_NOTES: dict[str, str] = {
    ReferralOutcome.CONNECTED: "Attended intake; engaged with the service.",
    ReferralOutcome.PERSON_DECLINED: "Decided not to go ahead for now.",
    ReferralOutcome.NOT_ELIGIBLE: "Outside the service's eligibility.",
    ReferralOutcome.NO_CAPACITY: "No opening before the need passed.",
    ReferralOutcome.COULD_NOT_CONTACT: "Three calls and a visit, no contact.",
    ReferralOutcome.OTHER: "Moved out of the area.",
}
NEEDS: dict[str, str] = {
    C.CRISIS_STABILIZATION: "In crisis on scene; agreed to a stabilization bed.",
    C.MENTAL_HEALTH: "Hearing voices and not sleeping; wants to see a counselor.",
    C.SUBSTANCE_USE: "Asked for help cutting down; wants treatment.",
    C.DETOX: "Withdrawing from alcohol; needs a detox bed.",
    C.MEDICATION: "Ran out of psychiatric medication two weeks ago.",
    C.SHELTER: "Sleeping outside; needs a bed tonight.",
    C.HOUSING: "Unhoused for a year; ready to apply for housing.",
    C.PEER_SUPPORT: "Would like a peer who has been through recovery.",
    C.CASE_MANAGEMENT: "Needs help pulling documents and benefits together.",
    C.MEDICAL: "Untreated wound on the leg; no doctor.",
    C.FOOD: "No food at home until the next benefits date.",
    C.LEGAL: "Eviction notice received; hearing next month.",
    C.BENEFITS: "Lost Medicaid coverage; needs to re-enroll.",
    C.TRANSPORT: "No way to get to appointments.",
    C.YOUTH: "Family conflict with a teenager at home.",
    C.VETERANS: "Veteran, not connected with VA benefits.",
    C.OTHER: "Needs help with next steps.",
}


# --- the script ---------------------------------------------------------------


@dataclass(frozen=True)
class ConsentSeed:
    """A consent of the script; ``standing`` is what it is meant to show."""

    standing: str  # active | expiring | expired | revoked | part2_incomplete
    person: int  # index into the demo program's seeded people, by key
    agency: str | None  # agency key; None: any partner of the program
    info: tuple[str, ...]
    signed: int  # days from today
    expires: int  # days from today
    purpose: str = ConsentPurpose.TREATMENT
    revoked: int | None = None  # days from today
    verbal: bool = False  # witnessed verbally: no signature (§2.31(a)(8))


CONSENT_SCRIPT: tuple[ConsentSeed, ...] = (
    ConsentSeed("active", 0, "clinic", (G, MH, SU), -40, 325),
    ConsentSeed("expiring", 1, "housing", (G,), -350, 12, ConsentPurpose.HOUSING),
    ConsentSeed("expired", 2, "clinic", (G, MH), -200, -20),
    ConsentSeed("revoked", 3, "housing", (G,), -25, 340, ConsentPurpose.HOUSING, -6),
    # Verbal, with a witness, and no redisclosure statement: stored, shown as
    # incomplete; it allows mental-health information, never substance use.
    ConsentSeed("part2_incomplete", 4, "clinic", (G, MH, SU), -10, 355, verbal=True),
    ConsentSeed("active", 5, None, (G,), -30, 335, ConsentPurpose.CARE_COORDINATION),
)


@dataclass(frozen=True)
class ReferralSeed:
    """A referral of the script, on the demo program."""

    person: int  # index into the demo program's seeded people, by key
    agency: str  # agency key
    service: int  # index among the agency's services
    path: tuple[str, ...]  # statuses after draft
    days: float  # created this many days ago
    closed: float | None = None  # last move this many days ago
    info: tuple[str, ...] = (G,)
    # An index of CONSENT_SCRIPT, "auto" (the person's consent to the agency,
    # recorded if missing), "none", or "override" (an emergency).
    consent: int | str = "auto"
    urgency: str = Urgency.ROUTINE
    outcome: str = ""
    reason_code: str = ""
    declined_by: str = ""
    note: str = ""
    assignee: str = "caseworker"
    group: str = ""


DONE: tuple[str, ...] = (S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED)
SCRIPT: tuple[ReferralSeed, ...] = (
    ReferralSeed(0, "clinic", 1, DONE, 38, 12, (G, SU), 0, outcome=ReferralOutcome.CONNECTED),
    ReferralSeed(0, "clinic", 0, DONE[:3], 6, info=(G, MH), consent=0, assignee="navigator"),
    # One crisis bed, whichever answers first: the stabilization unit
    # accepted, the others were cancelled as placed elsewhere.
    ReferralSeed(5, "stabilization", 0, DONE[:3], 3, consent=5, urgency=Urgency.URGENT, group="bed"),
    ReferralSeed(5, "shelter", 0, (S.REQUESTED, S.CANCELLED), 3, consent=5, urgency=Urgency.URGENT, group="bed", reason_code=ReasonCode.PLACED_ELSEWHERE),
    ReferralSeed(5, "walk-in", 0, (S.REQUESTED, S.CANCELLED), 3, consent=5, urgency=Urgency.URGENT, group="bed", reason_code=ReasonCode.PLACED_ELSEWHERE),
    # No answer past the respond-by date.
    ReferralSeed(1, "housing", 0, (S.REQUESTED,), 6, consent=1),
    ReferralSeed(1, "housing", 2, DONE[:2], 4, consent=1, assignee="navigator"),
    ReferralSeed(2, "clinic", 0, DONE, 70, 40, (G, MH), 2, outcome=ReferralOutcome.PERSON_DECLINED),
    # Waits for a new consent: the one it had has expired.
    ReferralSeed(2, "clinic", 0, (), 1, info=(G, MH), consent="none"),
    ReferralSeed(3, "housing", 0, (S.REQUESTED, S.ACCEPTED, S.CANCELLED), 20, 6, consent=3, reason_code=ReasonCode.PERSON_DECLINED, declined_by=DeclinedBy.PERSON, note="Withdrew consent to share; does not want housing help for now."),
    # Held back: the consent lacks §2.31 elements for substance-use information.
    ReferralSeed(4, "clinic", 1, (), 2, info=(G, SU), consent="none", assignee="navigator"),
    ReferralSeed(4, "clinic", 0, (S.REQUESTED,), 1, info=(G, MH), consent=4),
    ReferralSeed(6, "stabilization", 0, DONE, 9, 5, (G, MH), "override", Urgency.EMERGENCY, ReferralOutcome.CONNECTED, assignee="navigator"),
    ReferralSeed(7, "detox", 0, (S.REQUESTED, S.REJECTED), 15, info=(G, SU), reason_code=ReasonCode.NO_CAPACITY, declined_by=DeclinedBy.AGENCY),
    ReferralSeed(8, "clinic", 0, (*DONE[:3], S.ON_HOLD), 18, info=(G, MH)),
    ReferralSeed(9, "housing", 2, (S.REQUESTED, S.FAILED), 48, reason_code=ReasonCode.EXPIRED),
    ReferralSeed(10, "food-bank", 0, (S.ENTERED_IN_ERROR,), 8, consent="none", assignee="navigator"),
    ReferralSeed(11, "legal-aid", 0, DONE, 50, 20, outcome=ReferralOutcome.COULD_NOT_CONTACT),
    ReferralSeed(12, "peers", 0, DONE, 30, 8, outcome=ReferralOutcome.CONNECTED, assignee="navigator"),
    ReferralSeed(13, "clinic", 1, DONE, 90, 45, (G, SU), outcome=ReferralOutcome.CONNECTED),
    ReferralSeed(14, "housing", 0, (S.REQUESTED, S.REJECTED), 12, reason_code=ReasonCode.PERSON_DECLINED, declined_by=DeclinedBy.PERSON),
    ReferralSeed(15, "walk-in", 0, (S.REQUESTED,), 0.1, info=(G, MH), urgency=Urgency.URGENT, assignee="navigator"),
    ReferralSeed(16, "clinic", 0, DONE[:2], 2, info=(G, MH)),
    ReferralSeed(17, "housing", 1, DONE[:3], 14, assignee="navigator"),
    ReferralSeed(18, "clinic", 0, (S.REQUESTED, S.CANCELLED), 5, 4, (G, MH), reason_code=ReasonCode.DUPLICATE, note="Sent twice; the other referral stands."),
    ReferralSeed(19, "housing", 0, DONE, 60, 30, outcome=ReferralOutcome.NOT_ELIGIBLE),
    ReferralSeed(20, "clinic", 0, (S.REQUESTED, S.ENTERED_IN_ERROR), 3, info=(G, MH), assignee="navigator"),
    ReferralSeed(21, "clinic", 1, DONE, 25, 3, (G, SU), outcome=ReferralOutcome.CONNECTED),
    ReferralSeed(22, "clinic", 0, (*DONE[:3], S.ON_HOLD, S.IN_PROGRESS, S.COMPLETED), 40, 10, (G, MH), outcome=ReferralOutcome.CONNECTED),
    ReferralSeed(23, "housing", 0, (), 0.5, assignee="navigator"),
)  # fmt: skip


# --- generated referrals: weighted choices --------------------------------------


def _weighted(pairs: Sequence[tuple[Any, float]], rng: random.Random) -> Any:
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for value, weight in pairs:
        x -= weight
        if x < 0:
            return value
    return pairs[-1][0]


RECENT = (
    (S.DRAFT, 6), (S.REQUESTED, 16), (S.ACCEPTED, 12), (S.IN_PROGRESS, 16),
    (S.ON_HOLD, 5), (S.COMPLETED, 25), (S.REJECTED, 9), (S.CANCELLED, 8),
    (S.ENTERED_IN_ERROR, 3),
)  # fmt: skip
OLD = (
    (S.COMPLETED, 58), (S.REJECTED, 12), (S.CANCELLED, 12), (S.FAILED, 9),
    (S.ENTERED_IN_ERROR, 3),
)  # fmt: skip
OUTCOMES = (
    (ReferralOutcome.CONNECTED, 72), (ReferralOutcome.PERSON_DECLINED, 8),
    (ReferralOutcome.COULD_NOT_CONTACT, 8), (ReferralOutcome.NOT_ELIGIBLE, 4),
    (ReferralOutcome.NO_CAPACITY, 4), (ReferralOutcome.OTHER, 4),
)  # fmt: skip
REJECT_REASONS = (
    (ReasonCode.NO_CAPACITY, 40), (ReasonCode.NOT_ELIGIBLE, 30),
    (ReasonCode.PERSON_DECLINED, 20), (ReasonCode.COULD_NOT_CONTACT, 10),
)  # fmt: skip
CANCEL_REASONS = (
    (ReasonCode.PERSON_DECLINED, 45), (ReasonCode.COULD_NOT_CONTACT, 30),
    (ReasonCode.DUPLICATE, 15), (ReasonCode.OTHER, 10),
)  # fmt: skip
URGENCIES = ((Urgency.ROUTINE, 70), (Urgency.URGENT, 25), (Urgency.EMERGENCY, 5))


def _path(status: str, rng: random.Random) -> tuple[str, ...]:
    """A path through the state machine that ends in ``status``."""
    r = rng.random()
    if status == S.DRAFT:
        return ()
    if status == S.ENTERED_IN_ERROR:
        return (S.ENTERED_IN_ERROR,) if r < 0.6 else (S.REQUESTED, S.ENTERED_IN_ERROR)
    if status == S.REJECTED:
        return (S.REQUESTED, S.REJECTED)
    if status == S.ON_HOLD:
        return (*DONE[:3], S.ON_HOLD)
    if status in (S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED):
        path = DONE[: DONE.index(status) + 1]
        if status in (S.IN_PROGRESS, S.COMPLETED) and r < 0.15:
            path = (*DONE[:3], S.ON_HOLD, S.IN_PROGRESS, *path[3:])
        return path
    if status == S.CANCELLED:
        return (*DONE[: 1 if r < 0.4 else 2 if r < 0.75 else 3], S.CANCELLED)
    # Failed (expired) from any open status.
    if r < 0.6:
        return (S.REQUESTED, S.FAILED)
    if r < 0.85:
        return (S.REQUESTED, S.ACCEPTED, S.FAILED)
    return (*DONE[:3], S.ON_HOLD, S.FAILED)


# Hours from the move before to a move to the status, at least and at most.
GAP_HOURS: dict[str, tuple[float, float]] = {
    S.REQUESTED: (1, 24),
    S.ACCEPTED: (2, 72),
    S.REJECTED: (2, 72),
    S.IN_PROGRESS: (12, 120),
    S.ON_HOLD: (24, 240),
    S.COMPLETED: (48, 480),
    S.CANCELLED: (12, 240),
    S.ENTERED_IN_ERROR: (0.1, 48),
}


def _gap(to: str, rng: random.Random) -> datetime.timedelta:
    """How long after the previous move a move to ``to`` comes."""
    if to == S.REQUESTED and rng.random() < 0.9:
        return datetime.timedelta(hours=rng.uniform(0.05, 0.4))  # sent at once
    low, high = GAP_HOURS[to]
    hours = rng.uniform(low, high)
    return datetime.timedelta(hours=hours)


def check_path(path: Sequence[str]) -> None:
    """Every step is a move ``referrals.lifecycle`` allows."""
    at: str = S.DRAFT
    for to in path:
        if move_for(status=at, to=to) is None:
            raise ValueError(f"seed path {path}: {at} -> {to} is not a move")
        at = to


# --- what a run works from ------------------------------------------------------


@dataclass
class _AgencyPool:
    pk: int
    key: str  # slug less the program's
    part2: bool
    kind: str
    services: list[tuple[int, list[str]]]  # (id, categories)


@dataclass
class _Pool:
    """One program's people, encounters, staff and agencies."""

    program: Program
    people: list[int]  # person ids by seeded key
    encounters: list[tuple[int, int, datetime.datetime]]  # (id, person, started)
    staff: list[int]  # assignees
    senders: list[int]  # who logs encounters (navigators)
    agencies: list[_AgencyPool]
    by_key: dict[str, _AgencyPool]
    respond_days: dict[str, int]
    expire_after: datetime.timedelta
    # Index of the first encounter of the last OPEN_WITHIN_DAYS days.
    recent_from: int = 0


@dataclass
class ReferralsResult:
    referrals: int = 0  # seeded referrals (keys) now in the database
    referrals_added: int = 0
    consents_added: int = 0
    statuses: dict[str, int] = field(default_factory=dict)  # of those added


def _seeded_key(external_id: str) -> int:
    tail = external_id[len(PERSON_KEY) :]
    return int(tail) if tail.isdigit() else 0


def _pools(
    programs: dict[str, Program], planned: dict[str, int], now: datetime.datetime
) -> dict[str, _Pool]:
    pools: dict[str, _Pool] = {}
    users = dict(
        User.objects.filter(
            username__in=[u[0] for spec in PROGRAMS for u in spec.users]
        ).values_list("username", "pk")
    )
    for spec in PROGRAMS:
        program = programs[spec.slug]
        people = sorted(
            Person.objects.filter(
                program=program,
                deleted_at__isnull=True,
                external_id__startswith=PERSON_KEY,
            ).values_list("external_id", "pk"),
            key=lambda row: _seeded_key(row[0]),
        )
        live = Encounter.objects.filter(
            program=program,
            deleted_at__isnull=True,
            person__isnull=False,
            person__deleted_at__isnull=True,
        )
        need = planned.get(spec.slug, 0)
        encounters: list[tuple[int, int, datetime.datetime]] = []
        if need:
            # A deterministic sample about the size needed: every stride-th id.
            stride = max(1, live.count() // max(need, 1))
            encounters = [
                (pk, person, started)
                for pk, person, started in live.annotate(m=Mod(F("id"), stride))
                .filter(m=0)
                .order_by("id")
                .values_list("id", "person_id", "started_at")
                if person is not None
            ]
        navigators = [
            users[name] for name, role, *_ in spec.users if role == Role.NAVIGATOR
        ]
        if spec.slug == PROGRAMS[0].slug:
            # The demo's referrals are the caseworker's and the navigator's.
            staff = [users["caseworker"], users["navigator"]]
        else:
            staff = navigators
        agencies = []
        rows = (
            Agency.objects.filter(programs=program, is_active=True)
            .prefetch_related("services")
            .order_by("slug")
        )
        for agency in rows:
            services = [
                (s.pk, list(s.categories))
                for s in sorted(agency.services.all(), key=lambda s: s.pk)
                if s.is_active
            ]
            if services:
                key = agency.slug.removeprefix(f"{spec.slug}-")
                agencies.append(
                    _AgencyPool(
                        agency.pk, key, agency.is_part2_program, agency.kind, services
                    )
                )
        encounters.sort(key=lambda row: (row[2], row[0]))
        since = now - datetime.timedelta(days=OPEN_WITHIN_DAYS)
        recent_from = bisect.bisect_left([row[2] for row in encounters], since)
        settings = referral_settings_for(program=program)
        pools[spec.slug] = _Pool(
            program=program,
            people=[pk for _, pk in people],
            encounters=encounters,
            staff=staff,
            senders=navigators or staff,
            agencies=agencies,
            by_key={a.key: a for a in agencies},
            respond_days={
                Urgency.ROUTINE: settings.respond_days_routine,
                Urgency.URGENT: settings.respond_days_urgent,
                Urgency.EMERGENCY: settings.respond_days_emergency,
            },
            expire_after=datetime.timedelta(days=settings.expire_after_days),
            recent_from=recent_from,
        )
    return pools


# --- building rows --------------------------------------------------------------


@dataclass
class _Chunk:
    """The rows of one chunk of referrals, before COPY."""

    referrals: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)


class _Builder:
    """Turns a referral's plan into rows: its consent, itself, its history."""

    def __init__(
        self,
        pools: dict[str, _Pool],
        now: datetime.datetime,
        loader: BulkLoader,
        recorder: int,
    ) -> None:
        self.pools = pools
        self.now = now
        self.loader = loader
        # (person, agency) -> [(consent id, signed, expires, classes)]
        self.consents: dict[tuple[int, int], list[tuple[int, datetime.date, datetime.date, frozenset[str]]]] = {}  # fmt: skip
        self.recorder = recorder
        self.statuses: dict[str, int] = {}
        self.chunk = _Chunk()
        # A group's winner: (its id, requested at, accepted at, the group id).
        self.winners: dict[str, tuple[int, datetime.datetime, datetime.datetime, int]] = {}  # fmt: skip
        # Consent ids taken for the chunk (no query may run while COPY streams).
        self.chunk_ids: list[int] = []

    def load_existing_consents(self, program_ids: list[int]) -> None:
        rows = Consent.objects.filter(
            program_id__in=program_ids,
            recipient_kind=RecipientKind.AGENCY,
            revoked_at__isnull=True,
            deleted_at__isnull=True,
            expires_on__isnull=False,
        ).values_list("person_id", "agency_id", "pk", "signed_on", "expires_on", "info_classes", "part2_missing")  # fmt: skip
        for person, agency, pk, signed, expires, classes, missing in rows:
            if not missing and expires is not None:
                self.consents.setdefault((person, agency), []).append(
                    (pk, signed, expires, frozenset(classes))
                )

    # consents

    def consent_row(
        self,
        pool: _Pool,
        person: int,
        agency: _AgencyPool | None,
        info: Sequence[str],
        signed: datetime.date,
        expires: datetime.date,
        purpose: str,
        *,
        revoked_at: datetime.datetime | None = None,
        verbal: bool = False,
        created_at: datetime.datetime,
    ) -> int:
        pk = (
            self.chunk_ids.pop()
            if self.chunk_ids
            else self.loader.take_ids(Consent, 1)[0]
        )
        classes = [c for c in InfoClass.values if c in info]
        described = ", ".join(InfoClass(c).label.lower() for c in classes)
        consent = Consent(
            person_id=person,
            program_id=pool.program.pk,
            recipient_kind=RecipientKind.AGENCY
            if agency
            else RecipientKind.PROGRAM_PARTNERS,
            agency_id=agency.pk if agency else None,
            purpose=purpose,
            info_classes=classes,
            information_description=f"Referral information: {described}.",
            discloser=pool.program.name,
            signed_on=signed,
            expires_on=expires,
            method=ConsentMethod.VERBAL_WITNESSED
            if verbal
            else ConsentMethod.SIGNED_FORM,
            witness_name="A. Rivera (co-responder officer)" if verbal else "",
            signature_obtained=not verbal,
            right_to_revoke_stated=True,
            redisclosure_statement=purpose in TPO_PURPOSES and not verbal,
        )
        missing = part2_missing_elements(consent)
        self.chunk.consents.append(
            {
                "id": pk,
                "person_id": person,
                "program_id": pool.program.pk,
                "recipient_kind": consent.recipient_kind,
                "agency_id": consent.agency_id,
                "purpose": purpose,
                "info_classes": _json(classes),
                "information_description": consent.information_description,
                "discloser": consent.discloser,
                "signed_on": signed,
                "expires_on": expires,
                "method": consent.method,
                "witness_name": consent.witness_name,
                "signature_obtained": consent.signature_obtained,
                "right_to_revoke_stated": True,
                "redisclosure_statement": consent.redisclosure_statement,
                "part2_missing": _json(missing),
                "recorded_by_id": self.recorder_for(pool),
                "revoked_at": revoked_at,
                "revoked_by_id": self.recorder_for(pool) if revoked_at else None,
                "revoked_method": RevokeMethod.WRITTEN if revoked_at else "",
                "revoked_reason": "Asked in writing to stop sharing."
                if revoked_at
                else "",
                "created_at": created_at,
                "updated_at": revoked_at or created_at,
            }
        )
        if agency is not None and not missing and revoked_at is None:
            self.consents.setdefault((person, agency.pk), []).append(
                (pk, signed, expires, frozenset(classes))
            )
        return pk

    def recorder_for(self, pool: _Pool) -> int:
        return pool.staff[0] if pool.staff else self.recorder

    def consent_for(
        self,
        pool: _Pool,
        person: int,
        agency: _AgencyPool,
        info: Sequence[str],
        at: datetime.datetime,
        rng: random.Random,
    ) -> int:
        """The person's consent to the agency that covered ``info`` on the
        day of ``at``; recorded that day if there is none."""
        tz = pool.program.tz
        day = at.astimezone(tz).date()
        for pk, signed, expires, covers in self.consents.get((person, agency.pk), ()):
            if signed <= day <= expires and set(info) <= covers:
                return pk
        classes = {G, *info}
        if agency.part2:
            classes |= {MH, SU}
        purpose = (
            ConsentPurpose.HOUSING
            if agency.kind == "housing"
            else ConsentPurpose.TREATMENT
            if agency.kind in ("clinic", "detox", "crisis_center", "hospital")
            else ConsentPurpose.CARE_COORDINATION
        )
        signed_at = at - datetime.timedelta(minutes=rng.uniform(5, 30))
        return self.consent_row(
            pool,
            person,
            agency,
            sorted(classes),
            signed_at.astimezone(tz).date(),
            signed_at.astimezone(tz).date() + CONSENT_YEAR,
            purpose,
            created_at=signed_at,
        )

    # referrals

    def referral(
        self,
        pk: int,
        pool: _Pool,
        *,
        person: int,
        encounter: int | None,
        agency: _AgencyPool,
        service: tuple[int, list[str]],
        path: tuple[str, ...],
        times: list[datetime.datetime],
        created: datetime.datetime,
        info: Sequence[str],
        urgency: str,
        creator: int,
        assignee: int,
        consent: int | str,
        rng: random.Random,
        outcome: str = "",
        reason_code: str = "",
        declined_by: str = "",
        note: str = "",
        group: int | None = None,
        system_cancel: str = "",
    ) -> None:
        check_path(path)
        status = path[-1] if path else S.DRAFT
        requested_at = times[path.index(S.REQUESTED)] if S.REQUESTED in path else None
        consent_id: int | None = None
        override_reason, override_by, override_at = "", None, None
        if consent == "override" and requested_at is not None:
            override_reason = OVERRIDE_REASONS[pk % len(OVERRIDE_REASONS)]
            override_by, override_at = creator, requested_at
        elif isinstance(consent, int):
            consent_id = consent
        elif consent == "auto" and requested_at is not None:
            consent_id = self.consent_for(pool, person, agency, info, requested_at, rng)
        responded = next(
            (
                t
                for s, t in zip(path, times, strict=True)
                if s in (S.ACCEPTED, S.REJECTED)
            ),
            None,
        )
        last = times[-1] if times else created
        tz = pool.program.tz
        respond_from = (requested_at or created).astimezone(tz).date()
        row = {
            "id": pk,
            "program_id": pool.program.pk,
            "person_id": person,
            "encounter_id": encounter,
            "agency_id": agency.pk,
            "service_id": service[0],
            "group_id": group,
            "reason": NEEDS.get(
                service[1][0] if service[1] else C.OTHER, NEEDS[C.OTHER]
            ),
            "info_classes": _json([c for c in InfoClass.values if c in info]),
            "urgency": urgency,
            "is_involuntary": urgency == Urgency.EMERGENCY and pk % 3 == 0,
            "created_by_id": creator,
            "assigned_to_id": assignee,
            "consent_id": consent_id,
            "consent_override_reason": override_reason,
            "consent_override_by_id": override_by,
            "consent_override_at": override_at,
            "respond_by": respond_from
            + datetime.timedelta(days=pool.respond_days[urgency]),
            "status": status,
            "status_changed_at": last,
            "status_reason": reason_code
            if status in (S.REJECTED, S.CANCELLED, S.FAILED)
            else "",
            "declined_by": declined_by,
            "requested_at": requested_at,
            "responded_at": responded,
            "closed_at": last if status in FINAL else None,
            "outcome": outcome if status == S.COMPLETED else "",
            "outcome_note": OUTCOME_NOTES.get(outcome, "")
            if status == S.COMPLETED
            else "",
            "created_at": created,
            "updated_at": last,
        }
        self.chunk.referrals.append(row)
        at: str = S.DRAFT
        for to, moment in zip(path, times, strict=True):
            move = move_for(status=at, to=to)
            assert move is not None  # check_path above
            system = move.actor == "system" or (to == S.CANCELLED and system_cancel)
            reasoned = move.needs_reason
            self.chunk.history.append(
                {
                    "referral_id": pk,
                    "at": moment,
                    "by_id": None if system else (creator if move.actor == "program" and to == S.REQUESTED else assignee),
                    "on_behalf_of_agency": move.actor == "agency",
                    "from_status": at,
                    "to_status": to,
                    "reason_code": reason_code if reasoned else "",
                    "declined_by": declined_by if reasoned else "",
                    "note": _history_note(to, bool(system), reasoned, note, system_cancel),
                }
            )  # fmt: skip
            at = to
        self.statuses[status] = self.statuses.get(status, 0) + 1


def _history_note(
    to: str, system: bool, reasoned: bool, note: str, system_cancel: str
) -> str:
    if system and to == S.CANCELLED:
        return system_cancel
    if to == S.FAILED:
        # What referral_expire writes.
        return "No change for too long: expired automatically."
    return note if reasoned or to == S.COMPLETED else ""


def _times(
    path: Sequence[str],
    created: datetime.datetime,
    now: datetime.datetime,
    rng: random.Random,
    *,
    end: datetime.datetime | None = None,
    expire_after: datetime.timedelta,
) -> list[datetime.datetime]:
    """When each move happened: gaps drawn per move, squeezed to end at
    ``end`` (or before now); a failure comes ``expire_after`` after the
    move before it, as the idle-expiry sweep would make it."""
    if not path:
        return []
    failed = path[-1] == S.FAILED
    moves = path[:-1] if failed else path
    gaps = [_gap(to, rng) for to in moves]
    limit = (end or now) - created
    if failed:
        limit = limit - expire_after - HOUR
    total = sum(gaps, datetime.timedelta())
    if end is not None and not failed and total > datetime.timedelta():
        scale = limit / total
    elif total > limit * 0.95:
        scale = limit * rng.uniform(0.5, 0.95) / total if total else 1.0
    else:
        scale = 1.0
    times, t = [], created
    for gap in gaps:
        t = t + gap * scale
        times.append(t)
    if failed:
        times.append(
            (times[-1] if times else created)
            + expire_after
            + HOUR * rng.uniform(0.2, 0.9)
        )
    return times


# --- the run --------------------------------------------------------------------


def referrals_seed(
    *,
    referrals: int,
    seed: int,
    now: datetime.datetime,
    progress: Progress,
) -> ReferralsResult:
    """Add the seeded referrals (keys) missing up to ``referrals``, with
    their consents and history, audited; in a transaction of its own.
    Nothing is recorded until the demo program has people."""
    result = ReferralsResult()
    with transaction.atomic():
        # Locked, so two seeds at once cannot both add the same keys.
        demo = Program.objects.select_for_update().get(slug=PROGRAMS[0].slug)
        markers = AuditEvent.objects.filter(object_type=REFERRALS_MARKER, program=demo)
        have = max((int(m.changes["referrals"][1]) for m in markers), default=0)
        result.referrals = have
        if referrals <= have:
            return result
        programs = {
            p.slug: p
            for p in Program.objects.filter(slug__in=[s.slug for s in PROGRAMS])
        }
        keys = range(have + 1, referrals + 1)
        plan = [_program_of(k, seed) for k in keys]
        planned: dict[str, int] = {}
        for slug in plan:
            planned[slug] = planned.get(slug, 0) + 1
        pools = _pools(programs, planned, now)
        if not pools[PROGRAMS[0].slug].people or not pools[PROGRAMS[0].slug].agencies:
            return result
        loader = BulkLoader(progress)
        added = _load(keys, plan, pools, seed=seed, now=now, loader=loader, progress=progress, result=result)  # fmt: skip
        result.referrals = have + added
        result.referrals_added = added
        AuditEvent.objects.create(
            actor=None,
            action=AuditAction.CREATE,
            object_type=REFERRALS_MARKER,
            object_id=str(seed),
            program=demo,
            changes={
                "referrals": [have, result.referrals],
                "consents": [None, result.consents_added],
            },
            reason="seed_demo: demo referrals and consents (each has its own "
            "audit event)",
            request_id=request_id_var.get(),
            source=source_var.get() or "command",
        )
    return result


def _program_of(key: int, seed: int) -> str:
    if key <= len(SCRIPT):
        return PROGRAMS[0].slug
    rng = random.Random(f"navigator-seed:{seed}:referral-program:{key}")  # noqa: S311
    return _weighted([(p.slug, p.share) for p in PROGRAMS], rng)


def _load(
    keys: range,
    plan: list[str],
    pools: dict[str, _Pool],
    *,
    seed: int,
    now: datetime.datetime,
    loader: BulkLoader,
    progress: Progress,
    result: ReferralsResult,
) -> int:
    n = len(keys)
    recorder = pools[PROGRAMS[0].slug].staff[0]
    builder = _Builder(pools, now, loader, recorder)
    builder.load_existing_consents([p.program.pk for p in pools.values()])
    history_guess = n * 3
    loads: list[tuple[type[models.Model], int]] = [
        (Referral, n),
        (ReferralStatusChange, history_guess),
        (Consent, n // 2),
    ]
    added = 0
    with (
        loader.bulk_mode(loads),
        progress.phase("referrals", total=n, unit="referrals") as bar,
    ):
        for start in range(0, n, CHUNK):
            chunk_keys = keys[start : start + CHUNK]
            ids = loader.take_ids(Referral, len(chunk_keys))
            # Consent ids for the chunk, taken up front (no query may run
            # while COPY streams); at most one new consent per referral,
            # plus the script's.
            builder.chunk_ids = list(
                reversed(
                    loader.take_ids(Consent, len(chunk_keys) + len(CONSENT_SCRIPT))
                )
            )
            builder.chunk = _Chunk()
            scripted_consents: list[int] = []
            if chunk_keys[0] == 1:
                scripted_consents = _script_consents(
                    builder, pools[PROGRAMS[0].slug], now
                )
            for pk, key, slug in zip(
                ids, chunk_keys, plan[start : start + CHUNK], strict=True
            ):
                pool = pools[slug]
                if key <= len(SCRIPT):
                    _scripted(
                        builder, pk, SCRIPT[key - 1], pool, scripted_consents, seed, key
                    )
                else:
                    _generated(builder, pk, pool, seed, key)
            added += _flush(builder.chunk, loader)
            result.consents_added += len(builder.chunk.consents)
            bar.update(len(chunk_keys))
    for status, count in builder.statuses.items():
        result.statuses[status] = result.statuses.get(status, 0) + count
    if loader.postgres and n > 1000:
        with connection.cursor() as cursor:
            tables = [
                m._meta.db_table for m in (Referral, ReferralStatusChange, Consent)
            ]
            cursor.execute(f"ANALYZE {', '.join(tables)}")
    return added


def _flush(chunk: _Chunk, loader: BulkLoader) -> int:
    """COPY the chunk's rows, then write their audit events."""
    loader.insert(Consent, chunk.consents)
    loader.insert(Referral, chunk.referrals)
    loader.insert(ReferralStatusChange, chunk.history)
    entries = [
        AuditEntry(
            action=AuditAction.CREATE,
            obj=Consent(pk=row["id"]),
            person_id=row["person_id"],
            program_id=row["program_id"],
            changes=_created(
                row,
                (
                    "recipient_kind",
                    "agency_id",
                    "purpose",
                    "info_classes",
                    "signed_on",
                    "expires_on",
                    "method",
                    "part2_missing",
                    "revoked_at",
                ),
            ),  # fmt: skip
            reason=CONSENT_REASON,
        )
        for row in chunk.consents
    ] + [
        AuditEntry(
            action=AuditAction.CREATE,
            obj=Referral(pk=row["id"]),
            person_id=row["person_id"],
            program_id=row["program_id"],
            changes=_created(
                row,
                (
                    "agency_id",
                    "service_id",
                    "encounter_id",
                    "info_classes",
                    "urgency",
                    "assigned_to_id",
                    "consent_id",
                    "consent_override_reason",
                    "status",
                    "status_reason",
                    "outcome",
                ),
            ),  # fmt: skip
            reason=REFERRAL_REASON,
        )
        for row in chunk.referrals
    ]
    audit_records_bulk(actor=None, entries=entries)
    return len(chunk.referrals)


def _created(row: dict[str, Any], names: Sequence[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name in names:
        value = row[name]
        if name in ("info_classes", "part2_missing") and isinstance(value, str):
            # Encoded for PostgreSQL's COPY; the SQLite path keeps the list.
            value = json.loads(value)
        elif isinstance(value, datetime.datetime | datetime.date):
            value = value.isoformat()
        out[name] = [None, value]
    return out


def _script_consents(
    builder: _Builder, pool: _Pool, now: datetime.datetime
) -> list[int]:
    """The script's consents, on the demo program's first people."""
    today = now.astimezone(pool.program.tz).date()
    ids = []
    for item in CONSENT_SCRIPT:
        person = pool.people[item.person % len(pool.people)]
        agency = pool.by_key.get(item.agency) if item.agency else None
        signed = today + datetime.timedelta(days=item.signed)
        revoked = (
            now + datetime.timedelta(days=item.revoked)
            if item.revoked is not None
            else None
        )
        ids.append(
            builder.consent_row(
                pool,
                person,
                agency,
                item.info,
                signed,
                today + datetime.timedelta(days=item.expires),
                item.purpose,
                revoked_at=revoked,
                verbal=item.verbal,
                created_at=now + datetime.timedelta(days=item.signed, hours=-2),
            )
        )
    return ids


def _scripted(
    builder: _Builder,
    pk: int,
    item: ReferralSeed,
    pool: _Pool,
    consents: list[int],
    seed: int,
    key: int,
) -> None:
    rng = random.Random(f"navigator-seed:{seed}:referral:{key}")  # noqa: S311
    now = builder.now
    agency = pool.by_key.get(item.agency) or pool.agencies[key % len(pool.agencies)]
    service = agency.services[item.service % len(agency.services)]
    person = pool.people[item.person % len(pool.people)]
    created = now - datetime.timedelta(days=item.days)
    end = (
        now - datetime.timedelta(days=item.closed) if item.closed is not None else None
    )
    times = _times(
        item.path, created, now, rng, end=end, expire_after=pool.expire_after
    )
    system_cancel, group = "", None
    if item.group:
        # The group's first item is the one that accepted.
        if item.group not in builder.winners:
            builder.winners[item.group] = (
                pk,
                times[item.path.index(S.REQUESTED)],
                times[item.path.index(S.ACCEPTED)],
                _group(pool, person, pool.staff[0], created),
            )
        winner, requested, accepted, group = builder.winners[item.group]
        if item.reason_code == ReasonCode.PLACED_ELSEWHERE:
            # Sent with the winner; cancelled by the system when it accepted.
            times = [requested, accepted]
            system_cancel = f"Placed elsewhere: referral #{winner} was accepted."
    consent: int | str = (
        consents[item.consent] if isinstance(item.consent, int) else item.consent
    )
    if consent == "none":
        consent = ""
    users = {"caseworker": pool.staff[0], "navigator": pool.staff[-1]}
    builder.referral(
        pk,
        pool,
        person=person,
        encounter=None,
        agency=agency,
        service=service,
        path=item.path,
        times=times,
        created=created,
        info=item.info,
        urgency=item.urgency,
        creator=users[item.assignee],
        assignee=users[item.assignee],
        consent=consent,
        rng=rng,
        outcome=item.outcome,
        reason_code=item.reason_code,
        declined_by=item.declined_by,
        note=item.note,
        group=group,
        system_cancel=system_cancel,
    )


def _group(pool: _Pool, person: int, by: int, at: datetime.datetime) -> int:
    group = ReferralGroup(
        program=pool.program, person_id=person, created_by_id=by, created_at=at
    )
    BulkLoader().create([group])
    return group.pk


def _info_for(categories: list[str]) -> tuple[str, ...]:
    if {C.SUBSTANCE_USE, C.DETOX} & set(categories):
        return (G, SU)
    if {C.MENTAL_HEALTH, C.CRISIS_STABILIZATION, C.MEDICATION} & set(categories):
        return (G, MH)
    return (G,)


def _generated(builder: _Builder, pk: int, pool: _Pool, seed: int, key: int) -> None:
    rng = random.Random(f"navigator-seed:{seed}:referral:{key}")  # noqa: S311
    now = builder.now
    if not pool.people or not pool.agencies or not pool.staff:
        return
    encounter: int | None = None
    # A share made in the last weeks, so the board's open columns fill up
    # (spread evenly over the year, most would be long closed).
    recent = rng.random() < RECENT_SHARE
    first = pool.recent_from if recent else 0
    if len(pool.encounters) > first and rng.random() < 0.8:
        encounter, person, started = pool.encounters[
            first + int(rng.random() * (len(pool.encounters) - first))
        ]
        # Made on scene or once back at the office, never before the visit.
        created = started + datetime.timedelta(minutes=rng.uniform(20, 180))
        created = max(started, min(created, now - datetime.timedelta(minutes=1)))
        creator = pool.senders[int(rng.random() * len(pool.senders))]
    else:
        person = pool.people[int(rng.random() * len(pool.people))]
        days = rng.uniform(0, OPEN_WITHIN_DAYS if recent else 365)
        created = now - datetime.timedelta(days=days, minutes=10)
        creator = pool.staff[0]
    demo = pool.program.slug == PROGRAMS[0].slug
    if demo and rng.random() < 0.45:
        agency = pool.by_key.get("clinic" if rng.random() < 0.55 else "housing")
        agency = agency or pool.agencies[int(rng.random() * len(pool.agencies))]
    else:
        agency = pool.agencies[int(rng.random() * len(pool.agencies))]
    service = agency.services[int(rng.random() * len(agency.services))]
    age = now - created
    table = RECENT if age <= datetime.timedelta(days=OPEN_WITHIN_DAYS) else OLD
    status = _weighted(table, rng)
    if status == S.FAILED and age < pool.expire_after + 3 * DAY:
        status = S.COMPLETED
    path = _path(status, rng)
    times = _times(path, created, now, rng, expire_after=pool.expire_after)
    urgency = _weighted(URGENCIES, rng)
    reason_code = declined_by = outcome = note = ""
    if status == S.REJECTED:
        reason_code = _weighted(REJECT_REASONS, rng)
        declined_by = (
            DeclinedBy.PERSON
            if reason_code == ReasonCode.PERSON_DECLINED
            else DeclinedBy.AGENCY
        )
    elif status == S.CANCELLED:
        reason_code = _weighted(CANCEL_REASONS, rng)
        declined_by = (
            DeclinedBy.PERSON if reason_code == ReasonCode.PERSON_DECLINED else ""
        )
        if reason_code == ReasonCode.OTHER:
            note = "Moved out of the area."
    elif status == S.FAILED:
        reason_code = ReasonCode.EXPIRED
    elif status == S.COMPLETED:
        outcome = _weighted(OUTCOMES, rng)
    consent = (
        "override" if urgency == Urgency.EMERGENCY and rng.random() < 0.3 else "auto"
    )
    assignee = (
        pool.staff[0]
        if rng.random() < 0.6
        else pool.staff[int(rng.random() * len(pool.staff))]
    )
    builder.referral(
        pk,
        pool,
        person=person,
        encounter=encounter,
        agency=agency,
        service=service,
        path=path,
        times=times,
        created=created,
        info=_info_for(service[1]),
        urgency=urgency,
        creator=creator,
        assignee=assignee,
        consent=consent,
        rng=rng,
        outcome=outcome,
        reason_code=reason_code,
        declined_by=declined_by,
        note=note,
    )
