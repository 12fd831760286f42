"""Refer: from the person page and from an encounter, search the directory,
see at once whether consent allows it per agency, send one, a group, a
draft; an emergency override; other programs' people are out of reach."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from cases.models import InfoClass
from navigator.models import AuditEvent
from referrals.models import Referral, ReferralStatus, Urgency
from tests.factories import EncounterFactory
from tests.referrals.factories import ConsentFactory, ServiceFactory, partner_of
from tests.referrals.pages_helpers import scene

pytestmark = pytest.mark.django_db

REFER = "/referrals/new/"


@pytest.fixture
def s(program_a, navigator_a):
    return scene(program_a, navigator_a)


def post(s, **fields):
    data = {
        "person": s.person.pk,
        "services": [s.service.pk],
        "info_classes": ["general"],
        "urgency": "routine",
        "is_involuntary": "false",
        "reason": "Needs counselling this week",
        "do": "send",
    } | fields
    return s.client.post(REFER, data)


def test_the_person_page_and_the_encounter_page_offer_refer(s):
    encounter = EncounterFactory(person=s.person, program=s.program)
    person_page = s.client.get(reverse("person-detail", args=[s.person.pk]))
    assert f'href="{REFER}?person={s.person.pk}"' in person_page.content.decode()
    encounter_page = s.client.get(reverse("encounter-detail", args=[encounter.pk]))
    assert f'href="{REFER}?encounter={encounter.pk}"' in encounter_page.content.decode()


def test_search_lists_the_partners_services_and_keeps_the_choices(s, program_a):
    shelter = ServiceFactory(
        agency=partner_of(program_a, name="Shelter House"), name="Crisis bed"
    )
    elsewhere = ServiceFactory(name="Not a partner's")
    page = s.client.get(REFER + f"?person={s.person.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Walk-in counselling" in html and "Crisis bed" in html
    assert elsewhere.name not in html
    found = s.client.post(
        REFER,
        {
            "person": s.person.pk,
            "do": "search",
            "q": "crisis",
            "services": [s.service.pk],
            "reason": "Typed before searching",
        },
    )
    html = found.content.decode()
    assert found.status_code == 200
    # The chosen service stays (ticked) beside the results; the typed need too.
    assert f'value="{s.service.pk}" id="svc-{s.service.pk}" checked' in html
    assert f'value="{shelter.pk}" id="svc-{shelter.pk}">' in html
    assert "Typed before searching" in html
    assert not Referral.objects.exists()


def test_the_consent_answer_shows_at_once_per_agency(s):
    partial = reverse("referral-consent-check")
    none = s.client.get(partial, {"person": s.person.pk, "services": s.service.pk})
    html = none.content.decode()
    assert "No consent allows it" in html
    try:
        record = reverse("consent-add", args=[s.person.pk])
    except NoReverseMatch:
        record = None
    if record is not None:
        assert f'href="{record}?agency={s.agency.pk}' in html
        assert "next=%2Freferrals%2Fnew%2F%3Fperson%3D" in html
    ConsentFactory(person=s.person, agency=s.agency, info_classes=["general"])
    allowed = s.client.get(
        partial, {"person": s.person.pk, "services": s.service.pk}
    ).content.decode()
    assert "Consent allows it" in allowed
    # Substance-use information is not covered by that consent.
    narrower = s.client.get(
        partial,
        {
            "person": s.person.pk,
            "services": s.service.pk,
            "info_classes": ["general", "substance_use"],
        },
    ).content.decode()
    assert "does not cover substance use (42 cfr part 2) information" in narrower


def test_send_with_consent_requests_it(s, navigator_a):
    consent = ConsentFactory(person=s.person, agency=s.agency)
    response = post(s)
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referral-detail", args=[referral.pk])
    assert referral.status == ReferralStatus.REQUESTED
    assert (referral.consent_id, referral.assigned_to) == (consent.pk, navigator_a)
    assert referral.respond_by is not None  # the program's default


def test_send_without_consent_is_refused_and_nothing_is_stored(s):
    response = post(s)
    assert response.status_code == 409
    assert "No consent allows sending this referral" in response.content.decode()
    assert not Referral.objects.exists()


def test_an_emergency_goes_out_with_an_override_shown_on_the_referral(s):
    not_emergency = post(s, consent_override_reason="Danger to self tonight")
    assert not_emergency.status_code == 400
    assert "Only an emergency referral" in not_emergency.content.decode()
    response = post(
        s, urgency=Urgency.EMERGENCY, consent_override_reason="Danger to self tonight"
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert referral.consent_override_by == s.user
    detail = s.client.get(reverse("referral-detail", args=[referral.pk]))
    html = detail.content.decode()
    assert "Sent without consent, as an emergency" in html
    assert "Danger to self tonight" in html


def test_a_draft_and_a_group(s, program_a):
    ConsentFactory(person=s.person, info_classes=[InfoClass.GENERAL])  # partners
    assert post(s, do="draft").status_code == 302
    assert Referral.objects.get().status == ReferralStatus.DRAFT
    beds = [
        ServiceFactory(agency=partner_of(program_a), name=f"Bed {i}") for i in range(2)
    ]
    too_many_draft = post(s, do="draft", services=[b.pk for b in beds])
    assert too_many_draft.status_code == 400
    assert post(s, services=[b.pk for b in beds]).status_code == 302
    group = Referral.objects.filter(group__isnull=False)
    assert {r.status for r in group} == {ReferralStatus.REQUESTED}
    assert group.count() == 2


def test_from_an_encounter_the_referral_names_it(s):
    ConsentFactory(person=s.person, agency=s.agency)
    encounter = EncounterFactory(person=s.person, program=s.program)
    page = s.client.get(REFER + f"?encounter={encounter.pk}")
    assert page.status_code == 200
    assert f'name="encounter" value="{encounter.pk}"' in page.content.decode()
    post(s, encounter=encounter.pk, person="")
    assert Referral.objects.get().encounter == encounter


def test_bad_input_names_the_field(s):
    ConsentFactory(person=s.person, agency=s.agency)
    no_service = post(s, services=[])
    assert no_service.status_code == 400
    assert "Choose a service to refer to." in no_service.content.decode()
    past = post(s, respond_by="2001-01-01")
    assert past.status_code == 400
    assert "The respond-by date is in the past." in past.content.decode()
    assert not Referral.objects.exists()


def test_another_programs_person_and_services_are_out_of_reach(
    s, navigator_b, program_b
):
    s.client.force_login(navigator_b)
    assert s.client.get(REFER + f"?person={s.person.pk}").status_code == 404
    assert (
        s.client.get(
            reverse("referral-consent-check"), {"person": s.person.pk}
        ).status_code
        == 404
    )
    assert post(s).status_code == 404
    # Their own person, with program A's service: not one they may choose.
    from tests.factories import PersonFactory

    theirs = PersonFactory(program=program_b)
    response = post(s, person=theirs.pk)
    assert response.status_code == 400
    assert not Referral.objects.exists()
    assert not AuditEvent.objects.filter(person_id=s.person.pk).exists()
