"""seed_demo's directory, referrals and consents: the documented agencies and
partner users, every status with a history the state machine allows, the
consent standing each scripted consent is meant to show, idempotent runs."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cases import seeding
from cases.consents.rules import ConsentState, consent_standing
from cases.consents.selectors import consent_decision_for
from cases.models import Consent, InfoClass, Person
from navigator.models import AuditAction, AuditEvent, Program, Role, User
from navigator.selectors import staff_program_ids_for
from referrals.lifecycle import FINAL, move_for
from referrals.models import (
    Agency,
    AgencyMember,
    ReasonCode,
    Referral,
    ReferralOutcome,
    ReferralStatus,
    ReferralStatusChange,
    Service,
    Urgency,
)
from referrals.selectors import referral_list_for

PASSWORD = "demo-password-1"
PEOPLE, ENCOUNTERS, REFERRALS = 80, 600, 120


def seed(*args: str, referrals: int = REFERRALS) -> str:
    out = io.StringIO()
    call_command(
        "seed_demo",
        "--people",
        str(PEOPLE),
        "--encounters",
        str(ENCOUNTERS),
        "--referrals",
        str(referrals),
        "--password",
        PASSWORD,
        *args,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


@pytest.fixture
def seeded(db) -> str:
    return seed()


def counts() -> dict[str, int]:
    return {
        "agencies": Agency.objects.count(),
        "services": Service.objects.count(),
        "members": AgencyMember.objects.count(),
        "referrals": Referral.objects.count(),
        "history": ReferralStatusChange.objects.count(),
        "consents": Consent.objects.count(),
        "events": AuditEvent.objects.count(),
    }


def test_the_demo_agencies_and_their_partner_users(seeded, client):
    clinic = Agency.objects.get(slug="demo-clinic")
    housing = Agency.objects.get(slug="demo-housing")
    assert clinic.kind == "clinic" and clinic.is_part2_program
    assert housing.kind == "housing" and not housing.is_part2_program
    for agency in (clinic, housing):
        assert list(agency.programs.values_list("slug", flat=True)) == ["demo"]
    for username, agency in (("clinic", clinic), ("housing", housing)):
        user = User.objects.get(username=username)
        assert user.check_password(PASSWORD)
        assert AgencyMember.objects.get(user=user).agency == agency
        assert list(user.memberships.values_list("program__slug", "role")) == [
            ("demo", Role.PARTNER)
        ]
        # They sign in with the password alone, and reach no staff data.
        response = client.post(
            reverse("login"), {"login": username, "password": PASSWORD}
        )
        assert response.status_code == 302, response.content[:300]
        assert staff_program_ids_for(user=user) == []
        assert not referral_list_for(user=user).exists()
        # Issue 10: a staff endpoint is not there for a partner at all.
        people = client.get("/api/v1/people/")
        assert people.status_code == 404
        client.logout()
    assert not User.objects.filter(username="partner").exists()


def test_each_program_has_a_realistic_directory(seeded):
    for spec in seeding.PROGRAMS:
        agencies = Agency.objects.filter(programs__slug=spec.slug)
        assert 10 <= agencies.count() <= 15, spec.slug
        assert len(set(agencies.values_list("kind", flat=True))) >= 6
        for agency in agencies.prefetch_related("services"):
            services = list(agency.services.all())
            assert 1 <= len(services) <= 4, agency.slug
            assert agency.city in spec.jurisdictions
            assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", agency.phone)
            agency.full_clean()
            for service in services:
                service.full_clean()
                assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", service.phone)
                assert service.hours and service.categories
    # Every created agency and service has its audit event.
    for model in (Agency, Service):
        events = AuditEvent.objects.filter(
            object_type=model._meta.label_lower, action=AuditAction.CREATE
        )
        assert set(events.values_list("object_id", flat=True)) == {
            str(pk) for pk in model.objects.values_list("pk", flat=True)
        }


def test_every_status_is_on_the_demo_program(seeded):
    demo = Referral.objects.filter(program__slug="demo")
    assert set(demo.values_list("status", flat=True)) == set(ReferralStatus.values)
    completed = demo.filter(status=ReferralStatus.COMPLETED)
    connected = completed.filter(outcome=ReferralOutcome.CONNECTED).count()
    assert connected > completed.count() / 2
    assert completed.exclude(outcome=ReferralOutcome.CONNECTED).exists()
    assert not Referral.objects.filter(status="completed", outcome="").exists()
    reasoned = Referral.objects.filter(
        status__in=[ReferralStatus.REJECTED, ReferralStatus.CANCELLED, "failed"]
    )
    assert reasoned.exists() and not reasoned.filter(status_reason="").exists()
    assert not Referral.objects.exclude(status="completed").exclude(outcome="")
    # Both demo staff have referrals on their board.
    for username in ("caseworker", "navigator"):
        assert demo.filter(
            assigned_to__username=username, status__in=["requested", "in-progress"]
        ).exists()
    # An overdue one: no answer by the respond-by date.
    assert demo.filter(status="requested", respond_by__lt=timezone.localdate())


def test_a_group_where_one_accepted_and_the_others_were_placed_elsewhere(seeded):
    grouped = Referral.objects.exclude(group=None)
    assert grouped.count() == 3
    winner = grouped.get(status="in-progress")
    others = grouped.exclude(pk=winner.pk)
    assert {r.status for r in others} == {ReferralStatus.CANCELLED}
    assert {r.status_reason for r in others} == {ReasonCode.PLACED_ELSEWHERE}
    accepted = winner.history.get(to_status="accepted").at
    for other in others:
        cancel = other.history.get(to_status="cancelled")
        assert cancel.by is None  # the system cancelled it
        assert cancel.at == accepted
        assert f"#{winner.pk}" in cancel.note


def test_an_emergency_sent_without_consent_carries_its_override(seeded):
    overridden = Referral.objects.exclude(consent_override_reason="")
    assert overridden.filter(program__slug="demo").exists()
    for referral in overridden:
        assert referral.urgency == Urgency.EMERGENCY
        assert referral.consent_id is None
        assert referral.consent_override_by_id is not None
        assert referral.consent_override_at == referral.requested_at


def test_history_is_a_path_of_the_state_machine(seeded):
    now = timezone.now()
    history: dict[int, list[ReferralStatusChange]] = {}
    for change in ReferralStatusChange.objects.order_by("at", "id"):
        history.setdefault(change.referral_id, []).append(change)
    for referral in Referral.objects.all():
        steps = history.get(referral.pk, [])
        status: str = ReferralStatus.DRAFT
        last = referral.created_at
        for step in steps:
            assert step.from_status == status, referral.pk
            move = move_for(status=status, to=step.to_status)
            assert move is not None, (referral.pk, status, step.to_status)
            assert last <= step.at <= now
            assert step.on_behalf_of_agency == (move.actor == "agency")
            if step.by_id is None:
                assert move.actor == "system" or step.reason_code == "placed_elsewhere"
            if move.needs_reason:
                assert step.reason_code
            status, last = step.to_status, step.at
        assert status == referral.status, referral.pk
        assert referral.status_changed_at == last
        requested = [s.at for s in steps if s.to_status == "requested"]
        assert referral.requested_at == (requested[0] if requested else None)
        answered = [s.at for s in steps if s.to_status in ("accepted", "rejected")]
        assert referral.responded_at == (answered[0] if answered else None)
        assert (referral.closed_at is not None) == (referral.status in FINAL)
        if referral.status in FINAL:
            assert referral.closed_at == last
        else:
            # Open ones moved recently: the idle-expiry sweep has nothing to do.
            assert now - last < datetime.timedelta(days=30), referral.pk
        if referral.status == "failed":
            before = steps[-2].at
            assert steps[-1].at - before >= datetime.timedelta(days=30)


def test_sent_referrals_relied_on_a_consent_that_allowed_them(seeded):
    sent = Referral.objects.exclude(requested_at=None).select_related(
        "person__program", "consent", "agency"
    )
    for referral in sent:
        if referral.consent_override_reason:
            continue
        consent = referral.consent
        assert consent is not None, referral.pk
        assert referral.requested_at is not None
        if consent.revoked_at and consent.revoked_at > referral.requested_at:
            consent.revoked_at = None  # as it stood when the referral was sent
        decision = consent_decision_for(
            person=referral.person,
            agency_id=referral.agency_id,
            info_classes=referral.info_classes,
            at=referral.requested_at,
            consents=[consent],
        )
        assert decision.allowed, (referral.pk, decision.reason)
    clinic = Referral.objects.filter(agency__slug="demo-clinic")
    with_consent = [r for r in clinic if r.consent_id is not None]
    assert len(with_consent) > clinic.count() / 2
    substance = [r for r in with_consent if InfoClass.SUBSTANCE_USE in r.info_classes]
    assert substance
    for referral in substance:
        assert referral.consent is not None and referral.consent.part2_missing == []


def test_consent_variety_matches_what_each_is_meant_to_show(seeded):
    demo = Program.objects.get(slug="demo")
    today = timezone.localtime(timezone.now(), demo.tz)
    people = sorted(
        Person.objects.filter(program__slug="demo").values_list("external_id", "pk"),
        key=lambda row: int(row[0].split("-")[1]),
    )
    states = {
        "active": ConsentState.ACTIVE,
        "expiring": ConsentState.EXPIRING,
        "expired": ConsentState.EXPIRED,
        "revoked": ConsentState.REVOKED,
        "part2_incomplete": ConsentState.ACTIVE,
    }
    seen = set()
    # The script's consents are recorded first.
    scripted = Consent.objects.select_related("person__program", "agency").order_by(
        "id"
    )[: len(seeding.CONSENT_SCRIPT)]
    for item, consent in zip(seeding.CONSENT_SCRIPT, scripted, strict=True):
        assert consent.person_id == people[item.person][1]
        assert consent.signed_on == today.date() + datetime.timedelta(item.signed)
        if item.agency:
            agency = Agency.objects.get(slug=f"demo-{item.agency}")
            assert consent.agency == agency
        else:
            assert consent.recipient_kind == "program_partners"
            agency = Agency.objects.get(slug="demo-stabilization")
        standing = consent_standing(consent, today=today.date())
        assert standing.state == states[item.standing], item
        decision = consent_decision_for(
            person=consent.person,
            agency_id=agency.pk,
            info_classes=[InfoClass.GENERAL],
            consents=[consent],
        )
        assert decision.allowed == (
            item.standing in ("active", "expiring", "part2_incomplete")
        )
        if item.standing == "part2_incomplete":
            assert "signature" in consent.part2_missing
            refused = consent_decision_for(
                person=consent.person,
                agency_id=agency.pk,
                info_classes=[InfoClass.SUBSTANCE_USE],
                consents=[consent],
            )
            assert refused.code == "part2_incomplete"
        seen.add(item.standing)
    assert seen == set(states)
    # Each consent has its audit event.
    events = AuditEvent.objects.filter(object_type="cases.consent", action="create")
    assert set(events.values_list("object_id", flat=True)) == {
        str(pk) for pk in Consent.objects.values_list("pk", flat=True)
    }


def test_each_referral_has_its_audit_event(seeded):
    events = AuditEvent.objects.filter(
        object_type="referrals.referral", action="create"
    )
    assert set(events.values_list("object_id", flat=True)) == {
        str(pk) for pk in Referral.objects.values_list("pk", flat=True)
    }
    assert set(events.values_list("reason", flat=True)) == {
        "seed_demo: synthetic demo referral"
    }


def test_running_twice_adds_nothing_and_more_tops_up(seeded):
    before = counts()
    out = seed()
    assert "nothing to add" in out
    assert counts() == {**before, "events": before["events"]}
    out = seed(referrals=REFERRALS + 30)
    assert Referral.objects.count() == REFERRALS + 30
    assert f"{REFERRALS + 30} referrals" in out
    assert AuditEvent.objects.filter(object_type=seeding.REFERRALS_MARKER).count() == 2
    # The script is not made again.
    assert Referral.objects.exclude(group=None).count() == 3


def test_more_agencies_on_demand(db):
    seed("--agencies", "45", referrals=60)
    assert Agency.objects.count() == 45
    assert Referral.objects.count() == 60
    seed("--agencies", "45", referrals=60)
    assert Agency.objects.count() == 45


def test_negative_referrals_are_refused(db):
    with pytest.raises(CommandError):
        call_command("seed_demo", "--referrals", "-1", stdout=io.StringIO())
