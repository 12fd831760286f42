"""The whole loop through the services: draft, consent gate, send, accept on
the agency's behalf, start, complete with an outcome; a group's siblings are
placed elsewhere when one accepts."""

from __future__ import annotations

import pytest

from cases.models import InfoClass
from navigator.errors import Conflict
from referrals.models import ReasonCode, ReferralStatus
from referrals.services import (
    ReferralData,
    referral_act,
    referral_create,
    referral_send_group,
)
from tests.factories import PersonFactory
from tests.referrals.factories import ConsentFactory, ServiceFactory, partner_of

pytestmark = pytest.mark.django_db


def test_a_referral_goes_round_the_loop(navigator_a, program_a):
    person = PersonFactory(program=program_a)
    agency = partner_of(program_a)
    service = ServiceFactory(agency=agency)
    data = ReferralData(person=person, service=service, reason="Crisis bed tonight")
    referral = referral_create(by=navigator_a, data=data)
    assert referral.status == ReferralStatus.DRAFT
    with pytest.raises(Conflict) as refused:
        referral_act(by=navigator_a, referral=referral, action="request")
    assert refused.value.code == "consent_required"
    consent = ConsentFactory(person=person, agency=agency)
    referral_act(by=navigator_a, referral=referral, action="request")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REQUESTED
    assert referral.consent_id == consent.pk
    for action in ("accept", "start"):
        referral_act(by=navigator_a, referral=referral, action=action)
    referral_act(
        by=navigator_a, referral=referral, action="complete", outcome="connected"
    )
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == ("completed", "connected")
    moves = [
        (h.from_status, h.to_status, h.on_behalf_of_agency)
        for h in referral.history.all()
    ]
    assert moves == [
        ("draft", "requested", False),
        ("requested", "accepted", True),
        ("accepted", "in-progress", True),
        ("in-progress", "completed", True),
    ]


def test_first_to_accept_wins(navigator_a, program_a):
    person = PersonFactory(program=program_a)
    ConsentFactory(person=person, info_classes=[InfoClass.GENERAL])
    services = [ServiceFactory(agency=partner_of(program_a)) for _ in range(3)]
    sent = referral_send_group(
        by=navigator_a,
        data=ReferralData(person=person, reason="Detox bed"),
        services=services,
    )
    referral_act(by=navigator_a, referral=sent[1], action="accept")
    for r in sent:
        r.refresh_from_db()
    assert [r.status for r in sent] == ["cancelled", "accepted", "cancelled"]
    assert sent[0].status_reason == ReasonCode.PLACED_ELSEWHERE
