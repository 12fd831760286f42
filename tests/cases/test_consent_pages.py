"""Consent pages: record (with the Refer flow's prefill and return, the
§2.31 check, the scanned form), detail, history, revoke, recorded in error,
the form's download; the person page's panel; scoping across programs."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.consents.selectors import consent_decision
from cases.models import Consent, InfoClass
from navigator.models import AuditAction, AuditEvent, StoredFile
from tests.factories import PersonFactory
from tests.navigator.test_uploads import PDF
from tests.referrals.factories import ConsentFactory, partner_of, referral_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(program_a):
    return PersonFactory(program=program_a, first_name="Dana", last_name="Whitfield")


@pytest.fixture
def clinic(program_a):
    return partner_of(program_a, name="Harbor Clinic", is_part2_program=True)


def complete_post(clinic, **overrides) -> dict:
    today = timezone.localdate()
    data = {
        "recipient_kind": "agency",
        "agency": str(clinic.pk),
        "purpose": "care_coordination",
        "info_classes": ["general", "substance_use"],
        "information_description": "Contact details and substance-use history",
        "discloser": "Program A",
        "signed_on": today.isoformat(),
        "expires_on": (today + datetime.timedelta(days=365)).isoformat(),
        "method": "signed_form",
        "signature_obtained": "on",
        "right_to_revoke_stated": "on",
        "redisclosure_statement": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_complete_consent_is_recorded_and_returns_to_next(
    client, navigator_a, person, clinic
):
    client.force_login(navigator_a)
    url = reverse("consent-add", args=[person.pk])
    page = client.get(
        url,
        {
            "agency": clinic.pk,
            "classes": "general,substance_use",
            "next": f"/people/{person.pk}/",
        },
    )
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["agency"] == clinic.pk
    assert form.initial["info_classes"] == ["general", "substance_use"]
    back = f"/people/{person.pk}/?refer=1"
    response = client.post(url, {**complete_post(clinic), "next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    consent = Consent.objects.get(person=person)
    assert consent.part2_missing == []
    assert consent_decision(
        person=person, agency_id=clinic.pk, info_class=InfoClass.SUBSTANCE_USE
    ).allowed


def test_next_to_another_site_is_ignored(client, navigator_a, person, clinic):
    client.force_login(navigator_a)
    response = client.post(
        reverse("consent-add", args=[person.pk]),
        {**complete_post(clinic), "next": "https://evil.example/"},
    )
    consent = Consent.objects.get(person=person)
    assert response["Location"] == reverse("consent-detail", args=[consent.pk])


def test_an_incomplete_substance_use_consent_is_kept_as_incomplete_with_a_warning(
    client, navigator_a, person, clinic
):
    client.force_login(navigator_a)
    response = client.post(
        reverse("consent-add", args=[person.pk]),
        complete_post(clinic, right_to_revoke_stated=None, discloser=""),
        follow=True,
    )
    consent = Consent.objects.get(person=person)
    assert set(consent.part2_missing) == {"right_to_revoke", "discloser"}
    text = response.content.decode()
    assert "recorded as incomplete" in text
    assert "a statement of the right to revoke and how" in text
    assert not consent_decision(
        person=person, agency_id=clinic.pk, info_class=InfoClass.SUBSTANCE_USE
    ).allowed
    assert consent_decision(
        person=person, agency_id=clinic.pk, info_class=InfoClass.GENERAL
    ).allowed


def test_the_live_check_names_the_missing_elements_and_saves_nothing(
    client, navigator_a, person, clinic
):
    client.force_login(navigator_a)
    response = client.post(
        reverse("consent-add", args=[person.pk]) + "?check=1",
        complete_post(clinic, method="verbal", signature_obtained=None),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "the person’s signature" in text or "the person&#x27;s signature" in text
    assert "<html" not in text
    assert not Consent.objects.exists()
    # Without substance use nothing is asked.
    response = client.post(
        reverse("consent-add", args=[person.pk]) + "?check=1",
        complete_post(clinic, info_classes=["general"], discloser=""),
    )
    assert "42 CFR" not in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"signed_on": "2999-01-01", "expires_on": "2999-12-31"}, "signed_on"),
        ({"expires_on": "2000-01-01"}, "expires_on"),
        ({"method": "verbal", "witness_name": ""}, "witness_name"),
    ],
)
def test_bad_input_is_shown_on_its_field(
    client, navigator_a, person, clinic, overrides, field
):
    client.force_login(navigator_a)
    response = client.post(
        reverse("consent-add", args=[person.pk]), complete_post(clinic, **overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Consent.objects.exists()


def test_an_agency_of_no_partner_is_refused_on_its_field(
    client, navigator_a, person, program_b
):
    other = partner_of(program_b)
    client.force_login(navigator_a)
    response = client.post(
        reverse("consent-add", args=[person.pk]), complete_post(other)
    )
    assert "agency" in response.context["form"].errors
    assert not Consent.objects.exists()


def test_the_scanned_form_is_stored_privately_and_served_audited(
    client, navigator_a, person, clinic
):
    client.force_login(navigator_a)
    client.post(
        reverse("consent-add", args=[person.pk]),
        {
            **complete_post(clinic),
            "form": SimpleUploadedFile("ROI.pdf", PDF, "application/pdf"),
        },
    )
    consent = Consent.objects.get(person=person)
    assert consent.form is not None
    on_disk = Path(settings.PRIVATE_FILES_ROOT) / consent.form.path
    assert on_disk.read_bytes() == PDF
    assert not on_disk.resolve().is_relative_to(Path(settings.STATIC_ROOT).resolve())
    created = AuditEvent.objects.get(
        object_type="cases.consent", action=AuditAction.CREATE
    )
    assert created.changes["form_id"] == [None, str(consent.form_id)]

    response = client.get(reverse("consent-form", args=[consent.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    read = AuditEvent.objects.filter(
        action=AuditAction.VIEW, person_id=person.pk, endpoint="consent-form"
    ).get()
    assert read.disclosed["consent.form"] == [consent.pk]


def test_a_form_that_is_not_a_pdf_or_image_is_the_form_fields_error(
    client, navigator_a, person, clinic
):
    client.force_login(navigator_a)
    response = client.post(
        reverse("consent-add", args=[person.pk]),
        {
            **complete_post(clinic),
            "form": SimpleUploadedFile("ROI.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    assert response.status_code == 200
    assert "form" in response.context["form"].errors
    assert not Consent.objects.exists()
    assert not StoredFile.objects.exists()


def test_a_form_too_big_is_the_form_fields_error_not_a_500(
    client, navigator_a, person, clinic, settings
):
    # Past the limit the upload handler stops keeping the file.
    settings.NAVIGATOR_UPLOAD_MAX_BYTES = 200 * 1024
    client.force_login(navigator_a)
    response = client.post(
        reverse("consent-add", args=[person.pk]),
        {
            **complete_post(clinic),
            "form": SimpleUploadedFile("ROI.pdf", PDF + b"0" * (400 * 1024)),
        },
    )
    assert response.status_code == 200
    assert "too big" in str(response.context["form"].errors["form"])
    assert not Consent.objects.exists()


def test_the_form_is_served_only_to_staff_of_the_persons_program(
    client, navigator_b, person, clinic, navigator_a
):
    client.force_login(navigator_a)
    client.post(
        reverse("consent-add", args=[person.pk]),
        {**complete_post(clinic), "form": SimpleUploadedFile("ROI.pdf", PDF)},
    )
    consent = Consent.objects.get()
    client.force_login(navigator_b)
    before = AuditEvent.objects.count()
    for name in ("consent-form", "consent-detail", "consent-revoke"):
        assert client.get(reverse(name, args=[consent.pk])).status_code == 404
    assert client.get(reverse("consent-list", args=[person.pk])).status_code == 404
    assert client.get(reverse("consent-add", args=[person.pk])).status_code == 404
    assert AuditEvent.objects.count() == before


def test_no_form_is_a_404(client, navigator_a, person, clinic):
    consent = ConsentFactory(person=person, agency=clinic)
    client.force_login(navigator_a)
    assert client.get(reverse("consent-form", args=[consent.pk])).status_code == 404


def test_detail_shows_standing_and_the_referrals_relying_on_it(
    client, navigator_a, person, clinic
):
    consent = ConsentFactory(
        person=person,
        agency=clinic,
        expires_on=timezone.localdate() + datetime.timedelta(days=5),
    )
    referral_for(person, clinic, by=navigator_a, consent=consent)
    client.force_login(navigator_a)
    response = client.get(reverse("consent-detail", args=[consent.pk]))
    text = response.content.decode()
    assert "Expires soon" in text
    assert "Harbor Clinic" in text
    event = AuditEvent.objects.get(endpoint="consent-detail")
    assert event.disclosed["consent"] == [consent.pk]
    assert "referral.summary" in event.disclosed


def test_revoke_takes_effect_at_once(client, navigator_a, person, clinic):
    consent = ConsentFactory(person=person, agency=clinic)
    client.force_login(navigator_a)
    url = reverse("consent-revoke", args=[consent.pk])
    assert client.get(url).status_code == 200
    consent.refresh_from_db()
    assert consent.revoked_at is None  # the GET only asks
    response = client.post(url, {"method": "verbal", "reason": "Changed her mind"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_method == "verbal"
    assert not consent_decision(
        person=person, agency_id=clinic.pk, info_class=InfoClass.GENERAL
    ).allowed
    assert (
        "Revoked"
        in client.get(reverse("consent-detail", args=[consent.pk])).content.decode()
    )
    # A second revoke is refused, shown as a message, nothing changes.
    again = client.post(url, {"method": "written"}, follow=True)
    assert "already revoked" in again.content.decode()


def test_mark_in_error_needs_a_reason(client, navigator_a, person, clinic):
    consent = ConsentFactory(person=person, agency=clinic)
    client.force_login(navigator_a)
    url = reverse("consent-mark-in-error", args=[consent.pk])
    response = client.post(url, {"reason": ""})
    assert "reason" in response.context["form"].errors
    response = client.post(url, {"reason": "Wrong person"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.deleted_at is not None
    history = client.get(reverse("consent-list", args=[person.pk])).content.decode()
    assert "Recorded in error" in history


def test_the_person_page_panel_shows_consents_at_a_glance(
    client, navigator_a, person, clinic, program_a
):
    today = timezone.localdate()
    ConsentFactory(person=person, agency=clinic, info_classes=["general"])
    ConsentFactory(person=person, expires_on=today + datetime.timedelta(days=3))
    ConsentFactory(
        person=person,
        agency=clinic,
        signed_on=today - datetime.timedelta(days=400),
        expires_on=today - datetime.timedelta(days=1),
    )
    ConsentFactory(person=person, agency=clinic, revoked_at=timezone.now())
    ConsentFactory(person=person, agency=clinic, deleted_at=timezone.now())
    client.force_login(navigator_a)
    response = client.get(reverse("person-detail", args=[person.pk]))
    text = response.content.decode()
    panel = text[text.index('id="consents"') :]
    panel = panel[: panel.index("</section>")]
    assert "Any partner of the program" in panel
    assert "Expires soon" in panel
    assert "Expired" in panel
    assert "Revoked" in panel
    assert "Recorded in error" not in panel
    assert len(response.context["consents"]) == 4
    event = AuditEvent.objects.get(endpoint="person-detail", person_id=person.pk)
    assert len(event.disclosed["consent"]) == 4


# The person page's own budget (tests/cases/test_pages_person.py) and the
# consents panel's one query.
PERSON_PAGE_WITH_CONSENTS_MAX_QUERIES = 14
CONSENT_LIST_MAX_QUERIES = 12


def test_the_person_page_with_many_consents_has_a_fixed_query_count(
    client, navigator_a, person, program_a, django_assert_max_num_queries
):
    for _ in range(3):
        ConsentFactory(person=person, agency=partner_of(program_a))
    client.force_login(navigator_a)
    client.get(reverse("person-detail", args=[person.pk]))
    for _ in range(30):
        ConsentFactory(
            person=person, agency=partner_of(program_a), revoked_at=timezone.now()
        )
    with django_assert_max_num_queries(PERSON_PAGE_WITH_CONSENTS_MAX_QUERIES):
        response = client.get(reverse("person-detail", args=[person.pk]))
    assert response.status_code == 200


def test_the_consent_history_has_a_fixed_query_count(
    client, navigator_a, person, program_a, django_assert_max_num_queries
):
    for _ in range(30):
        ConsentFactory(person=person, agency=partner_of(program_a))
    client.force_login(navigator_a)
    with django_assert_max_num_queries(CONSENT_LIST_MAX_QUERIES):
        response = client.get(reverse("consent-list", args=[person.pk]))
    assert len(response.context["rows"]) == 25
