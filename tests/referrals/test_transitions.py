"""Every legal and every illegal referral transition, for each kind of actor.

The expected table is written here from the issue's text, not read from
``referrals.lifecycle`` (a test that read MOVES would agree with any bug in
it): draft → requested; requested → accepted | rejected; accepted →
in-progress → completed; requested / accepted / in-progress → cancelled;
in-progress ↔ on-hold; requested / accepted / in-progress / on-hold →
failed (the system only: automatic expiry); draft / requested →
entered-in-error. The sending program's staff make the program's moves
(draft, requested, cancelled, entered-in-error); the agency makes accepted,
rejected, in-progress, on-hold, completed, and staff may record those on
its behalf, marked as such.

The matrix is every status × every target (the same status included), run
for each actor kind: a navigator, a caseworker and a program manager of the
program; staff of another program, an administrator (of the same program,
and a superuser), a partner agency's user (404 for now: partner access is
the next issue); and the system (``referral_expire``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from cases.models import InfoClass
from navigator.errors import Conflict, DomainError, NotFound, PermissionDenied
from navigator.models import AuditEvent, Role, User
from referrals import lifecycle
from referrals.models import (
    AgencyMember,
    ReasonCode,
    Referral,
    ReferralOutcome,
    ReferralStatus,
    ReferralStatusChange,
    Urgency,
)
from referrals.services import (
    ReferralData,
    referral_act,
    referral_create,
    referral_expire,
    referral_send_group,
    referral_transition,
)
from tests.factories import PersonFactory, ProgramFactory, UserFactory, member
from tests.referrals.factories import (
    ConsentFactory,
    ServiceFactory,
    partner_of,
    referral_for,
)

pytestmark = pytest.mark.django_db

S = ReferralStatus
STATUSES = [s.value for s in ReferralStatus]

PROGRAM, AGENCY, SYSTEM = "program", "agency", "system"
# (from, to) -> who makes the move. Written from the issue, independently of
# referrals.lifecycle.
EXPECTED: dict[tuple[str, str], str] = {
    (S.DRAFT, S.REQUESTED): PROGRAM,
    (S.REQUESTED, S.ACCEPTED): AGENCY,
    (S.REQUESTED, S.REJECTED): AGENCY,
    (S.ACCEPTED, S.IN_PROGRESS): AGENCY,
    (S.IN_PROGRESS, S.COMPLETED): AGENCY,
    (S.REQUESTED, S.CANCELLED): PROGRAM,
    (S.ACCEPTED, S.CANCELLED): PROGRAM,
    (S.IN_PROGRESS, S.CANCELLED): PROGRAM,
    (S.IN_PROGRESS, S.ON_HOLD): AGENCY,
    (S.ON_HOLD, S.IN_PROGRESS): AGENCY,
    (S.REQUESTED, S.FAILED): SYSTEM,
    (S.ACCEPTED, S.FAILED): SYSTEM,
    (S.IN_PROGRESS, S.FAILED): SYSTEM,
    (S.ON_HOLD, S.FAILED): SYSTEM,
    (S.DRAFT, S.ENTERED_IN_ERROR): PROGRAM,
    (S.REQUESTED, S.ENTERED_IN_ERROR): PROGRAM,
}
# The API's action per target (POST referrals/{id}/<action>/).
ACTION_FOR: dict[str, str | tuple[str, ...]] = {
    S.REQUESTED: "request",
    S.ACCEPTED: "accept",
    S.REJECTED: "reject",
    S.IN_PROGRESS: ("start", "resume"),
    S.ON_HOLD: "hold",
    S.COMPLETED: "complete",
    S.CANCELLED: "cancel",
    S.ENTERED_IN_ERROR: "enter_in_error",
}
NEEDS_REASON = {S.REJECTED, S.CANCELLED, S.FAILED}
PAIRS = [(a, b) for a in STATUSES for b in STATUSES]

STAFF = ["navigator", "caseworker", "manager"]
OUTSIDERS = ["other_program", "admin", "superuser", "partner"]


def _allowed(status: str) -> list[str]:
    return sorted({to for (frm, to) in EXPECTED if frm == status})


# --- the world ---------------------------------------------------------------


class World:
    def __init__(self) -> None:
        self.program = ProgramFactory(slug="sending")
        self.other = ProgramFactory(slug="elsewhere")
        self.author = member(self.program, Role.CASEWORKER, username="author")
        self.person = PersonFactory(program=self.program)
        self.agency = partner_of(self.program)
        self.service = ServiceFactory(agency=self.agency)
        ConsentFactory(person=self.person, agency=self.agency)

    def actor(self, kind: str) -> User:
        if kind == "navigator":
            return member(self.program, Role.NAVIGATOR)
        if kind == "caseworker":
            return member(self.program, Role.CASEWORKER)
        if kind == "manager":
            return member(self.program, Role.PROGRAM_MANAGER)
        if kind == "other_program":
            return member(self.other, Role.CASEWORKER)
        if kind == "admin":
            return member(self.program, Role.ADMIN)
        if kind == "superuser":
            return UserFactory(is_superuser=True)
        if kind == "partner":
            user = member(self.program, Role.PARTNER)
            AgencyMember.objects.create(user=user, agency=self.agency)
            return user
        raise AssertionError(kind)

    def referral(self, status: str) -> Referral:
        return referral_for(
            self.person,
            self.agency,
            by=self.author,
            status=status,
            service=self.service,
            status_changed_at=timezone.now() - datetime.timedelta(days=90),
        )


@pytest.fixture
def world(db) -> World:
    return World()


def _state(referral: Referral) -> dict[str, Any]:
    """Everything a refused move must leave as it was."""
    row: dict[str, Any] = dict(Referral.objects.filter(pk=referral.pk).values().get())
    row.pop("updated_at")
    return {
        "row": row,
        "history": list(
            ReferralStatusChange.objects.filter(referral=referral).values_list(
                "id", flat=True
            )
        ),
        "audit": AuditEvent.objects.filter(
            object_type="referrals.referral", object_id=str(referral.pk)
        ).count(),
    }


def _arguments(to: str) -> dict[str, Any]:
    # What each move needs, so that an illegal one fails for no other reason.
    return {
        "reason_code": ReasonCode.NOT_ELIGIBLE if to in NEEDS_REASON else "",
        "declined_by": "agency" if to == S.REJECTED else "",
        "outcome": ReferralOutcome.CONNECTED if to == S.COMPLETED else "",
        "note": "Phoned the intake desk.",
    }


# --- the table agrees with the issue ------------------------------------------


def test_the_state_machine_is_the_issues():
    moves = {
        (frm, move.to): move.actor for move in lifecycle.MOVES for frm in move.sources
    }
    assert moves == EXPECTED
    for move in lifecycle.MOVES:
        expected = ACTION_FOR.get(move.to, "fail")
        names = expected if isinstance(expected, tuple) else (expected,)
        assert move.action in names, move
        assert move.needs_reason == (move.to in NEEDS_REASON), move
    assert set(lifecycle.FINAL) == {
        S.REJECTED,
        S.COMPLETED,
        S.CANCELLED,
        S.FAILED,
        S.ENTERED_IN_ERROR,
    }


# --- staff of the program: every pair ------------------------------------------


@pytest.mark.parametrize("kind", STAFF)
@pytest.mark.parametrize("frm, to", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_staff_of_the_program(world, kind, frm, to):
    by = world.actor(kind)
    referral = world.referral(frm)
    before = _state(referral)
    who = EXPECTED.get((frm, to))
    if who in (PROGRAM, AGENCY):
        moved = referral_transition(by=by, referral=referral, to=to, **_arguments(to))
        moved.refresh_from_db()
        assert moved.status == to
        assert moved.status_changed_at > before["row"]["status_changed_at"]
        (change,) = ReferralStatusChange.objects.filter(referral=referral).exclude(
            pk__in=before["history"]
        )
        assert (change.from_status, change.to_status, change.by) == (frm, to, by)
        # Staff record the agency's answers for it, and say so.
        assert change.on_behalf_of_agency == (who == AGENCY)
        if to in NEEDS_REASON:
            assert (moved.status_reason, change.reason_code) == ("not_eligible",) * 2
        if to == S.COMPLETED:
            assert moved.outcome == ReferralOutcome.CONNECTED
        if to in lifecycle.FINAL:
            assert moved.closed_at is not None
        events = AuditEvent.objects.filter(
            object_type="referrals.referral", object_id=str(referral.pk)
        ).order_by("id")[before["audit"] :]
        (event,) = events
        assert (event.actor, event.action) == (by, "update")
        assert event.changes["status"] == [frm, to]
        return
    with pytest.raises((Conflict, PermissionDenied)) as refused:
        referral_transition(by=by, referral=referral, to=to, **_arguments(to))
    if who == SYSTEM:
        assert isinstance(refused.value, PermissionDenied)
        assert refused.value.code == "system_only"
    else:
        assert isinstance(refused.value, Conflict)
        assert refused.value.code == "invalid_transition"
        listed = ", ".join(_allowed(frm)) or "none (it is closed)"
        assert refused.value.detail.endswith(f"Allowed: {listed}."), refused.value
    assert _state(referral) == before


# --- everyone else: out of scope, whatever the move ---------------------------


@pytest.mark.parametrize("kind", OUTSIDERS)
@pytest.mark.parametrize("frm, to", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_outsiders_find_no_referral(world, kind, frm, to):
    by = world.actor(kind)
    referral = world.referral(frm)
    before = _state(referral)
    with pytest.raises(NotFound):
        referral_transition(by=by, referral=referral, to=to, **_arguments(to))
    assert _state(referral) == before


@pytest.mark.parametrize("kind", OUTSIDERS)
@pytest.mark.parametrize(
    "action", sorted({m.action for m in lifecycle.MOVES if m.actor != SYSTEM})
)
def test_outsiders_find_no_referral_by_action(world, kind, action):
    by = world.actor(kind)
    referral = world.referral(S.REQUESTED)
    before = _state(referral)
    with pytest.raises(NotFound):
        referral_act(by=by, referral=referral, action=action, **_arguments(S.REJECTED))
    assert _state(referral) == before


# --- the system: expiry ---------------------------------------------------------


@pytest.mark.parametrize("frm", STATUSES)
def test_the_system_fails_an_idle_open_referral(world, frm):
    referral = world.referral(frm)
    before = _state(referral)
    idle_since = timezone.now() - datetime.timedelta(days=30)
    expired = referral_expire(referral_id=referral.pk, idle_since=idle_since)
    assert expired == ((frm, S.FAILED) in EXPECTED)
    if not expired:
        assert _state(referral) == before
        return
    referral.refresh_from_db()
    assert (referral.status, referral.status_reason) == (S.FAILED, ReasonCode.EXPIRED)
    change = referral.history.get()
    assert (change.from_status, change.to_status, change.by) == (frm, S.FAILED, None)
    assert change.reason_code == ReasonCode.EXPIRED
    assert not change.on_behalf_of_agency
    event = AuditEvent.objects.get(
        object_type="referrals.referral", object_id=str(referral.pk)
    )
    assert (event.actor, event.changes["status"]) == (None, [frm, S.FAILED])
    # Twice is once.
    assert not referral_expire(referral_id=referral.pk, idle_since=idle_since)


def test_the_system_leaves_a_referral_that_moved_since(world):
    referral = world.referral(S.REQUESTED)
    Referral.objects.filter(pk=referral.pk).update(status_changed_at=timezone.now())
    before = _state(referral)
    idle_since = timezone.now() - datetime.timedelta(days=30)
    assert not referral_expire(referral_id=referral.pk, idle_since=idle_since)
    assert _state(referral) == before


# --- reasons and outcomes ---------------------------------------------------------


@pytest.mark.parametrize(
    "frm, action", [(S.REQUESTED, "reject"), (S.REQUESTED, "cancel")]
)
@pytest.mark.parametrize(
    "arguments, field, code",
    [
        ({}, "reason_code", "required"),
        ({"reason_code": "because"}, "reason_code", "invalid"),
        # "expired" is the system's reason (the sweep), never a person's.
        ({"reason_code": ReasonCode.EXPIRED}, "reason_code", "invalid"),
        ({"reason_code": ReasonCode.OTHER}, "note", None),
        ({"reason_code": ReasonCode.OTHER, "note": "   "}, "note", None),
        (
            {"reason_code": ReasonCode.NO_CAPACITY, "declined_by": "mayor"},
            "declined_by",
            None,
        ),
    ],
)
def test_a_move_that_needs_a_reason_refuses_without_one(
    world, frm, action, arguments, field, code
):
    by = world.actor("caseworker")
    referral = world.referral(frm)
    before = _state(referral)
    with pytest.raises(DomainError) as refused:
        referral_act(by=by, referral=referral, action=action, **arguments)
    assert refused.value.status == 400
    assert list(refused.value.fields) == [field]
    if code:
        assert refused.value.code == code
    assert _state(referral) == before


def test_other_with_a_note_and_who_declined_are_kept(world):
    by = world.actor("caseworker")
    referral = world.referral(S.REQUESTED)
    referral_act(
        by=by,
        referral=referral,
        action="reject",
        reason_code=ReasonCode.OTHER,
        declined_by="person",
        note="Moved out of the county.",
    )
    referral.refresh_from_db()
    assert (referral.status_reason, referral.declined_by) == ("other", "person")
    change = referral.history.get()
    assert (change.reason_code, change.declined_by, change.note) == (
        "other",
        "person",
        "Moved out of the county.",
    )


def test_a_rejection_is_the_agencys_unless_told(world):
    referral = world.referral(S.REQUESTED)
    referral_act(
        by=world.actor("navigator"),
        referral=referral,
        action="reject",
        reason_code=ReasonCode.NO_CAPACITY,
    )
    referral.refresh_from_db()
    assert referral.declined_by == "agency"


@pytest.mark.parametrize("outcome, code", [("", "required"), ("great", "invalid")])
def test_complete_needs_an_outcome(world, outcome, code):
    referral = world.referral(S.IN_PROGRESS)
    before = _state(referral)
    with pytest.raises(DomainError) as refused:
        referral_act(
            by=world.actor("caseworker"),
            referral=referral,
            action="complete",
            outcome=outcome,
        )
    assert (list(refused.value.fields), refused.value.code) == (["outcome"], code)
    assert _state(referral) == before


@pytest.mark.parametrize("outcome", [o.value for o in ReferralOutcome])
def test_every_outcome_is_kept_apart_from_the_status(world, outcome):
    referral = world.referral(S.IN_PROGRESS)
    referral_act(
        by=world.actor("caseworker"),
        referral=referral,
        action="complete",
        outcome=outcome,
        note="Closed at intake.",
    )
    referral.refresh_from_db()
    assert (referral.status, referral.outcome, referral.outcome_note) == (
        S.COMPLETED,
        outcome,
        "Closed at intake.",
    )


def test_an_unknown_or_system_action_is_refused(world):
    referral = world.referral(S.REQUESTED)
    before = _state(referral)
    for action in ("fail", "approve", ""):
        with pytest.raises(DomainError) as refused:
            referral_act(
                by=world.actor("caseworker"),
                referral=referral,
                action=action,
                reason_code="not_eligible",
            )
        assert list(refused.value.fields) == ["action"]
    assert _state(referral) == before


def test_a_move_can_propose_a_followup(world):
    from followups.models import Followup

    referral = world.referral(S.REQUESTED)
    due = timezone.now() + datetime.timedelta(days=3)
    referral_act(
        by=world.actor("caseworker"),
        referral=referral,
        action="accept",
        followup_due_at=due,
    )
    followup = Followup.objects.get(person=world.person)
    assert followup.due_at == due


# --- a group: the first to accept wins ----------------------------------------------


@pytest.fixture
def group(world):
    ConsentFactory(person=world.person, info_classes=[InfoClass.GENERAL])
    services = [ServiceFactory(agency=partner_of(world.program)) for _ in range(3)]
    return referral_send_group(
        by=world.author,
        data=ReferralData(person=world.person, reason="A crisis bed tonight"),
        services=services,
    )


def test_the_first_to_accept_wins_and_the_others_are_placed_elsewhere(world, group):
    first, second, third = group
    assert {r.status for r in group} == {S.REQUESTED}
    assert len({r.group_id for r in group}) == 1 and first.group_id is not None
    referral_act(by=world.actor("caseworker"), referral=second, action="accept")
    for r in group:
        r.refresh_from_db()
    assert [r.status for r in group] == [S.CANCELLED, S.ACCEPTED, S.CANCELLED]
    for sibling in (first, third):
        assert sibling.status_reason == ReasonCode.PLACED_ELSEWHERE
        change = sibling.history.order_by("id").last()
        assert change is not None
        assert (change.from_status, change.to_status, change.by) == (
            S.REQUESTED,
            S.CANCELLED,
            None,
        )
        assert change.reason_code == ReasonCode.PLACED_ELSEWHERE
        assert f"#{second.pk}" in change.note
        # Each sibling's own audit event (each agency is told from it).
        assert AuditEvent.objects.filter(
            object_type="referrals.referral",
            object_id=str(sibling.pk),
            changes__status=[S.REQUESTED, S.CANCELLED],
        ).exists()
    # Placed elsewhere is final: a late acceptance is a 409.
    with pytest.raises(Conflict):
        referral_act(by=world.actor("caseworker"), referral=first, action="accept")


def test_a_sibling_that_moved_on_is_left_alone(world, group):
    first, second, third = group
    by = world.actor("caseworker")
    referral_act(
        by=by, referral=first, action="reject", reason_code=ReasonCode.NO_CAPACITY
    )
    first.refresh_from_db()
    before = _state(first)
    referral_act(by=by, referral=third, action="accept")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == S.REJECTED
    assert first.status_reason == ReasonCode.NO_CAPACITY
    assert _state(first) == before
    assert second.status == S.CANCELLED


@pytest.mark.parametrize("count, ok", [(1, True), (3, True), (4, False)])
def test_a_group_has_one_to_three_services(world, count, ok):
    ConsentFactory(person=world.person, info_classes=[InfoClass.GENERAL])
    services = [ServiceFactory(agency=partner_of(world.program)) for _ in range(count)]
    data = ReferralData(person=world.person, reason="Detox bed")
    if ok:
        sent = referral_send_group(by=world.author, data=data, services=services)
        assert len(sent) == count
        assert (sent[0].group_id is None) == (count == 1)
        return
    with pytest.raises(DomainError) as refused:
        referral_send_group(by=world.author, data=data, services=services)
    assert list(refused.value.fields) == ["services"]
    assert not Referral.objects.exists()


def test_a_group_is_sent_whole_or_not_at_all(world):
    # The first agency has a consent, the second none: nothing is sent.
    covered = ServiceFactory(agency=world.agency)
    uncovered = ServiceFactory(agency=partner_of(world.program))
    with pytest.raises(Conflict) as refused:
        referral_send_group(
            by=world.author,
            data=ReferralData(person=world.person, reason="Detox bed"),
            services=[covered, uncovered],
        )
    assert refused.value.code == "consent_required"
    assert not Referral.objects.exists()
    assert not AuditEvent.objects.filter(object_type="referrals.referral").exists()


# --- the consent gate -----------------------------------------------------------------


def _yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


CONSENTS: dict[str, Callable[[World], object] | None] = {
    "none": None,
    "expired": lambda w: ConsentFactory(
        person=w.person,
        agency=w.agency,
        signed_on=_yesterday() - datetime.timedelta(days=400),
        expires_on=_yesterday(),
    ),
    "revoked": lambda w: ConsentFactory(
        person=w.person,
        agency=w.agency,
        revoked_at=timezone.now() - datetime.timedelta(hours=1),
        revoked_by=w.author,
        revoked_method="written",
    ),
    "wrong agency": lambda w: ConsentFactory(
        person=w.person, agency=partner_of(w.program)
    ),
    "wrong class": lambda w: ConsentFactory(
        person=w.person, agency=w.agency, info_classes=[InfoClass.GENERAL]
    ),
    "another person's": lambda w: ConsentFactory(
        person=PersonFactory(program=w.program), agency=w.agency
    ),
    "part 2 incomplete": lambda w: ConsentFactory(
        person=w.person, agency=w.agency, right_to_revoke_stated=False
    ),
}


@pytest.fixture
def gate(world):
    """A draft carrying mental-health and substance-use information to a
    Part 2 agency, and no consent yet (the world's is for another one)."""
    agency = partner_of(world.program, is_part2_program=True)
    world.agency = agency
    return referral_create(
        by=world.author,
        data=ReferralData(
            person=world.person,
            agency=agency,
            reason="Detox intake",
            info_classes=[InfoClass.MENTAL_HEALTH, InfoClass.SUBSTANCE_USE],
        ),
    )


@pytest.mark.parametrize("case", list(CONSENTS))
def test_no_request_without_a_consent_that_allows_it(world, gate, case):
    make = CONSENTS[case]
    if make is not None:
        make(world)
    before = _state(gate)
    with pytest.raises(Conflict) as conflict:
        referral_act(by=world.author, referral=gate, action="request")
    assert conflict.value.code == "consent_required"
    assert list(conflict.value.fields) == ["consent"]
    assert _state(gate) == before
    # Not an emergency: an override is refused too, naming it.
    with pytest.raises(DomainError) as refused:
        referral_act(
            by=world.author,
            referral=gate,
            action="request",
            consent_override_reason="They need it now",
        )
    assert list(refused.value.fields) == ["consent_override_reason"]
    assert _state(gate) == before


@pytest.mark.parametrize("case", list(CONSENTS))
def test_an_emergency_goes_with_an_override_audited_on_its_own(world, gate, case):
    make = CONSENTS[case]
    if make is not None:
        make(world)
    Referral.objects.filter(pk=gate.pk).update(urgency=Urgency.EMERGENCY)
    before = _state(gate)
    with pytest.raises(Conflict):  # an emergency still needs the reason
        referral_act(
            by=world.author,
            referral=gate,
            action="request",
            consent_override_reason=" ",
        )
    assert _state(gate) == before
    referral_act(
        by=world.author,
        referral=gate,
        action="request",
        consent_override_reason="Overdose risk tonight; person unconscious",
    )
    gate.refresh_from_db()
    assert gate.status == S.REQUESTED
    assert gate.consent_id is None
    assert gate.consent_override_reason == "Overdose risk tonight; person unconscious"
    assert (gate.consent_override_by, gate.consent_override_at is not None) == (
        world.author,
        True,
    )
    events = AuditEvent.objects.filter(
        object_type="referrals.referral", object_id=str(gate.pk)
    ).order_by("id")[before["audit"] :]
    override = [e for e in events if "consent_override" in e.changes]
    assert len(override) == 1
    assert override[0].reason == "Overdose risk tonight; person unconscious"
    assert override[0].actor == world.author


def test_a_complete_part2_consent_lets_it_go(world, gate):
    consent = ConsentFactory(person=world.person, agency=world.agency)
    referral_act(by=world.author, referral=gate, action="request")
    gate.refresh_from_db()
    assert (gate.status, gate.consent_id) == (S.REQUESTED, consent.pk)
    assert gate.consent_override_reason == ""
