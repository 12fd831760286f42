"""The one answer to "may agency X receive information class Y about person
P now?", and the reads of consents, scoped to the user.

Every other part of the system (the referral gate, the partner API, the
person page) asks ``consent_decision`` / ``consent_decision_for``; nothing
else reads consents to decide. The rules, in order:

1. The consent is the person's, and names the agency — or the class "any
   partner agency of the program" and the agency is an active partner of
   the consent's program.
2. It covers the information class.
3. It counts today, in the program's time zone: not recorded in error, not
   revoked, signed on or before today, not past its expiry date
   (``rules.consent_standing``).
4. For substance-use information, it has every 42 CFR §2.31 element
   (``rules.part2_missing_elements``); an incomplete one never counts.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from django.db.models import QuerySet
from django.utils import timezone

from cases.consents.rules import (
    PART2_ELEMENTS,
    ConsentState,
    Standing,
    consent_standing,
    describe_missing,
    part2_missing_elements,
)
from cases.models import Consent, InfoClass, Person, RecipientKind
from cases.selectors import person_access
from navigator.errors import NotFound
from navigator.models import Program, User

# Why the answer is no, most specific last: of several consents, the one
# that got furthest through the rules explains the refusal.
DecisionCode = Literal[
    "allowed",
    "no_consent",
    "wrong_agency",
    "wrong_class",
    "not_in_force",
    "part2_incomplete",
]
_RANK: dict[DecisionCode, int] = {
    "no_consent": 0,
    "wrong_agency": 1,
    "wrong_class": 2,
    "not_in_force": 3,
    "part2_incomplete": 4,
}


@dataclass(frozen=True)
class ConsentDecision:
    allowed: bool
    code: DecisionCode
    # The consent that allows it, or the one that came closest.
    consent: Consent | None
    # For the user: which consent allows it, or why none does.
    reason: str


def _local_today(program: Program, at: datetime.datetime | None) -> datetime.date:
    return timezone.localtime(at or timezone.now(), program.tz).date()


def _is_partner(program_id: int, agency_id: int) -> bool:
    return Program.objects.filter(
        pk=program_id, agencies__id=agency_id, agencies__is_active=True
    ).exists()


def _judge(
    consent: Consent,
    *,
    agency_id: int,
    info_class: str,
    today: datetime.date,
    partner_of: dict[int, bool],
) -> tuple[DecisionCode, str]:
    if consent.recipient_kind == RecipientKind.AGENCY:
        if consent.agency_id != agency_id:
            return "wrong_agency", "the consent names another agency"
    else:
        if consent.program_id not in partner_of:
            partner_of[consent.program_id] = _is_partner(consent.program_id, agency_id)
        if not partner_of[consent.program_id]:
            return "wrong_agency", "the agency is not a partner of the program"
    if info_class not in consent.info_classes:
        label = InfoClass(info_class).label.lower()
        return "wrong_class", f"the consent does not cover {label} information"
    standing = consent_standing(consent, today=today)
    if standing.reason:
        return "not_in_force", f"the consent does not count: {standing.reason}"
    if info_class == InfoClass.SUBSTANCE_USE:
        missing = part2_missing_elements(consent)
        if missing:
            return (
                "part2_incomplete",
                "the consent lacks what 42 CFR §2.31 requires: "
                + describe_missing(missing),
            )
    return "allowed", ""


def _decide(
    consents: Iterable[Consent],
    *,
    person: Person,
    agency_id: int,
    info_classes: Sequence[str],
    at: datetime.datetime | None,
) -> ConsentDecision:
    today = _local_today(person.program, at)
    partner_of: dict[int, bool] = {}
    best: tuple[int, Consent | None, str] = (0, None, "")
    allowing: list[Consent] = []
    for consent in consents:
        if consent.person_id != person.pk:
            continue
        worst: tuple[DecisionCode, str] = ("allowed", "")
        for info_class in info_classes:
            code, why = _judge(
                consent,
                agency_id=agency_id,
                info_class=info_class,
                today=today,
                partner_of=partner_of,
            )
            if code != "allowed":
                worst = (code, why)
                break
        if worst[0] == "allowed":
            allowing.append(consent)
        elif _RANK[worst[0]] >= best[0]:
            best = (_RANK[worst[0]], consent, worst[1])
    if allowing:
        # The most specific first (a named agency over a class), then the
        # latest signed.
        chosen = max(
            allowing,
            key=lambda c: (c.recipient_kind == RecipientKind.AGENCY, c.signed_on, c.pk),
        )
        return ConsentDecision(
            True, "allowed", chosen, f"consent signed {chosen.signed_on:%Y-%m-%d}"
        )
    rank, closest, why = best
    if closest is None:
        return ConsentDecision(
            False, "no_consent", None, "there is no consent to share with this agency"
        )
    code = next(c for c, r in _RANK.items() if r == rank)
    return ConsentDecision(False, code, closest, why)


def consent_decision(
    *,
    person: Person,
    agency_id: int,
    info_class: str,
    at: datetime.datetime | None = None,
) -> ConsentDecision:
    """May this agency receive ``info_class`` about ``person`` at ``at``
    (default now)?"""
    return consent_decision_for(
        person=person, agency_id=agency_id, info_classes=[info_class], at=at
    )


def consent_decision_for(
    *,
    person: Person,
    agency_id: int,
    info_classes: Sequence[str],
    at: datetime.datetime | None = None,
    consents: Iterable[Consent] | None = None,
) -> ConsentDecision:
    """One consent that lets the agency receive every class in
    ``info_classes`` (what a referral carries). ``consents``: the person's
    consents when the caller has them loaded (a list page's prefetch)."""
    if consents is None:
        consents = Consent.objects.filter(person_id=person.pk).select_related("agency")
    return _decide(
        consents, person=person, agency_id=agency_id, info_classes=info_classes, at=at
    )


# --- reads for pages and the API ------------------------------------------

ConsentAction = Literal[
    "view", "create", "revoke", "view_form", "attach_form", "delete"
]


def consent_access(*, user: User, consent: Consent, action: ConsentAction) -> None:
    """A consent is part of its person's record: the person's access decides
    (any staff of the person's program; NotFound outside it)."""
    if consent.person.is_deleted:
        raise NotFound("No such consent.")
    try:
        person_access(
            user=user,
            person=consent.person,
            action="edit" if action != "view" else "view",
        )
    except NotFound:
        raise NotFound("No such consent.") from None


def consent_list_for(*, user: User, person: Person) -> QuerySet[Consent]:
    """The person's consents, newest first, recorded-in-error ones included
    (the history shows them); the caller has checked the person."""
    person_access(user=user, person=person, action="view")
    return (
        Consent.objects.filter(person=person)
        .select_related("agency", "recorded_by", "revoked_by", "program")
        .order_by("-signed_on", "-id")
    )


def consent_get_for(*, user: User, pk: int, action: ConsentAction = "view") -> Consent:
    consent = (
        Consent.objects.select_related(
            "person",
            "person__program",
            "agency",
            "recorded_by",
            "revoked_by",
            "program",
            "form",
        )
        .filter(pk=pk)
        .first()
    )
    if consent is None:
        raise NotFound("No such consent.")
    consent_access(user=user, consent=consent, action=action)
    return consent


def consent_form_for(*, user: User, pk: int) -> Consent:
    """A consent whose scanned form the user may download (NotFound: no
    such consent for them, or no form)."""
    consent = consent_get_for(user=user, pk=pk, action="view_form")
    if consent.form is None:
        raise NotFound("This consent has no scanned form.")
    return consent


# --- how consents stand, for the person page, the consent pages, the API ----


@dataclass(frozen=True)
class ConsentSummary:
    """A consent with how it stands today and what it lacks for Part 2."""

    consent: Consent
    standing: Standing
    # §2.31 element codes missing (rules.PART2_ELEMENTS); shown only when
    # the consent covers substance-use information.
    part2_missing: list[str]

    @property
    def covers_substance_use(self) -> bool:
        return InfoClass.SUBSTANCE_USE in self.consent.info_classes

    @property
    def part2_incomplete(self) -> bool:
        return self.covers_substance_use and bool(self.part2_missing)

    @property
    def part2_missing_labels(self) -> list[str]:
        return [PART2_ELEMENTS[code] for code in self.part2_missing]

    @property
    def in_force(self) -> bool:
        return self.standing.state in (ConsentState.ACTIVE, ConsentState.EXPIRING)

    @property
    def class_labels(self) -> list[str]:
        labels = dict(InfoClass.choices)
        return [labels.get(c, c) for c in self.consent.info_classes]


def consent_summaries(
    consents: Iterable[Consent],
    *,
    program: Program,
    at: datetime.datetime | None = None,
) -> list[ConsentSummary]:
    """Each consent as it stands on the program's today (no queries)."""
    today = _local_today(program, at)
    return [
        ConsentSummary(
            consent=c,
            standing=consent_standing(c, today=today),
            # Recomputed from the fields, as the decision does.
            part2_missing=part2_missing_elements(c),
        )
        for c in consents
    ]


# The person page's panel: the current ones, then the most recently ended.
PANEL_SIZE = 8


def consent_panel_for(*, user: User, person: Person) -> list[ConsentSummary]:
    """Consents at a glance: in force first (soonest to expire first), then
    those ended (revoked, expired, dated ahead), newest first; one query.
    Recorded-in-error ones are in the history only."""
    consents = list(
        consent_list_for(user=user, person=person).filter(deleted_at__isnull=True)[
            : PANEL_SIZE * 4
        ]
    )
    rows = consent_summaries(consents, program=person.program)
    current = sorted(
        (r for r in rows if r.in_force),
        key=lambda r: (r.consent.expires_on is None, r.consent.expires_on),
    )
    ended = [r for r in rows if not r.in_force]
    return (current + ended)[:PANEL_SIZE]


def consent_agency_choices(*, person: Person) -> QuerySet:
    """The agencies a consent of this person may name: the active partners
    of the person's program (what ``consent_record`` accepts)."""
    return person.program.agencies.filter(is_active=True).order_by("name")


def consent_relied_on_by(*, consent: Consent) -> list:
    """The referrals that went out under this consent, newest first. Read
    through the relation the referral holds, so consents import nothing of
    referrals (docs/decisions/0010-layers.md)."""
    return list(
        consent.referrals.select_related("agency").order_by("-created_at", "-id")[:50]
    )
