"""Edges found by probing the referral feature as an attacker would: each
was a 500, a rule a user could get round, or a door that told the audit log
less than the other."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse

from cases.models import InfoClass
from navigator.errors import Conflict, DomainError
from navigator.models import AuditEvent, Role
from referrals.models import ReferralStatus
from referrals.services import (
    ReferralChanges,
    ReferralData,
    referral_act,
    referral_create,
    referral_send_group,
    referral_update,
)
from tests.factories import PersonFactory, member
from tests.referrals.factories import (
    ConsentFactory,
    ServiceFactory,
    partner_of,
    referral_for,
)
from tests.required import require


def _accept(referral, by, barrier: threading.Barrier, outcomes: list[str]) -> None:
    barrier.wait()
    try:
        referral_act(by=by, referral=referral, action="accept")
        outcomes.append("accepted")
    except Conflict:
        outcomes.append("conflict")
    except Exception as exc:  # a deadlock (OperationalError) lands here
        outcomes.append(type(exc).__name__)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_agencies_accepting_one_group_at_once_never_deadlock(
    navigator_a, program_a
):
    if connection.vendor != "postgresql":
        require("Row locks under concurrency need PostgreSQL")
    for _ in range(4):
        person = PersonFactory(program=program_a)
        ConsentFactory(person=person, info_classes=[InfoClass.GENERAL])
        sent = referral_send_group(
            by=navigator_a,
            data=ReferralData(person=person, reason="Crisis bed tonight"),
            services=[ServiceFactory(agency=partner_of(program_a)) for _ in range(2)],
        )
        barrier = threading.Barrier(2)
        outcomes: list[str] = []
        threads = [
            threading.Thread(target=_accept, args=(r, navigator_a, barrier, outcomes))
            for r in sent
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(outcomes) == ["accepted", "conflict"], outcomes
        statuses = sorted(
            r.status for r in type(sent[0]).objects.filter(group_id=sent[0].group_id)
        )
        assert statuses == ["accepted", "cancelled"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/referrals/new/?person={person}&services=%C2%B2",
        "/referrals/new/consent/?person={person}&services=%C2%B2",
        "/people/{person}/consents/add/?agency=%C2%B2",
    ],
)
def test_unicode_digits_in_ids_are_not_ids(client, navigator_a, program_a, url):
    person = PersonFactory(program=program_a)
    client.force_login(navigator_a)
    assert client.get(url.format(person=person.pk)).status_code < 500


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["referral-report", "referral-settings"])
def test_a_managers_page_reads_a_unicode_digit_program_as_no_program(
    client, manager_a, program_a, name
):
    client.force_login(manager_a)
    assert client.get(reverse(name), {"program": "²"}).status_code < 500


@pytest.mark.django_db
def test_a_report_ending_at_the_end_of_time_is_refused_naming_the_end(
    client, manager_a, program_a
):
    client.force_login(manager_a)
    page = client.get(
        reverse("referral-report"),
        {"program": program_a.pk, "start": "9999-12-30", "end": "9999-12-31"},
    )
    assert page.status_code == 400
    assert "before the year 9999" in page.text


@pytest.mark.django_db
def test_an_emergency_sent_without_consent_stays_an_emergency(navigator_a, program_a):
    person = PersonFactory(program=program_a)
    referral = referral_create(
        by=navigator_a,
        data=ReferralData(
            person=person,
            service=ServiceFactory(agency=partner_of(program_a)),
            reason="Overdose on scene",
            urgency="emergency",
            consent_override_reason="Unconscious, needs detox bed now",
        ),
        send=True,
    )
    assert referral.status == ReferralStatus.REQUESTED
    with pytest.raises(Conflict) as refused:
        referral_update(
            by=navigator_a,
            referral=referral,
            changes=ReferralChanges(urgency="routine"),
        )
    assert "urgency" in refused.value.fields
    referral.refresh_from_db()
    assert referral.urgency == "emergency"


@pytest.mark.django_db
@pytest.mark.parametrize("invisible", ["   \u200b ", "\u200d\u2060", "\u202e"])
def test_an_override_reason_must_be_visible(navigator_a, program_a, invisible):
    person = PersonFactory(program=program_a)
    with pytest.raises(Conflict) as refused:
        referral_create(
            by=navigator_a,
            data=ReferralData(
                person=person,
                service=ServiceFactory(agency=partner_of(program_a)),
                reason="Overdose on scene",
                urgency="emergency",
                consent_override_reason=invisible,
            ),
            send=True,
        )
    assert refused.value.code == "consent_required"
    assert not person.referrals.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["placed_elsewhere", "expired"])
def test_the_systems_reasons_are_not_a_users(navigator_a, program_a, reason):
    person = PersonFactory(program=program_a)
    referral = referral_for(person, partner_of(program_a), by=navigator_a)
    with pytest.raises(DomainError) as refused:
        referral_act(
            by=navigator_a, referral=referral, action="cancel", reason_code=reason
        )
    assert "reason_code" in refused.value.fields
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REQUESTED


@pytest.mark.django_db
def test_the_referral_page_accounts_for_the_consent_it_shows(
    client, navigator_a, program_a
):
    person = PersonFactory(program=program_a)
    agency = partner_of(program_a)
    consent = ConsentFactory(person=person, agency=agency)
    referral = referral_for(person, agency, by=navigator_a, consent=consent)
    client.force_login(navigator_a)
    assert client.get(reverse("referral-detail", args=[referral.pk])).status_code == 200
    event = AuditEvent.objects.filter(person_id=person.pk, action="view").get()
    assert event.disclosed["consent"] == [consent.pk]


@pytest.mark.django_db
def test_a_manager_cannot_take_a_shared_agency_from_another_program(
    client, manager_a, program_a, program_b
):
    shared = partner_of(program_a)
    shared.programs.add(program_b)
    own = partner_of(program_a)
    client.force_login(manager_a)
    refused = client.post(
        reverse("directory:agency-active", args=[shared.pk]), {"reason": "closed"}
    )
    assert refused.status_code == 403
    shared.refresh_from_db()
    assert shared.is_active
    done = client.post(
        reverse("directory:agency-active", args=[own.pk]), {"reason": "closed"}
    )
    assert done.status_code == 302
    own.refresh_from_db()
    assert not own.is_active
    # An administrator keeps the whole directory.
    admin = member(program_a, Role.ADMIN)
    client.force_login(admin)
    client.post(reverse("directory:agency-active", args=[shared.pk]), {})
    shared.refresh_from_db()
    assert not shared.is_active
