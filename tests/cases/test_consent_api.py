"""The consent API: list and record a person's consents, detail with the
standing and §2.31 gaps, revoke, the scanned form; bad input names the
field; another program's is a 404; Idempotency-Key; query counts."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.consents.selectors import consent_decision
from cases.models import Consent
from navigator.models import AuditAction, AuditEvent
from tests.cases.consent_helpers import PDF, consent_api_body, recorded_consent
from tests.factories import PersonFactory, token_client
from tests.referrals.factories import ConsentFactory, partner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(program_a):
    return PersonFactory(program=program_a)


@pytest.fixture
def clinic(program_a):
    return partner_of(program_a, name="Harbor Clinic")


@pytest.fixture
def api(navigator_a):
    return token_client(navigator_a)


def url(person) -> str:
    return f"/api/v1/people/{person.pk}/consents/"


def test_record_and_read_a_complete_consent(api, person, clinic):
    response = api.post(url(person), consent_api_body(clinic), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["agency"] == clinic.pk and body["agency_name"] == "Harbor Clinic"
    assert (body["standing"], body["part2_complete"], body["part2_missing"]) == (
        "active",
        True,
        [],
    )
    assert body["revoked_at"] is None and body["form"] is None
    detail = api.get(f"/api/v1/consents/{body['id']}/").json()
    assert detail == body


def test_an_incomplete_one_says_which_elements_are_missing(api, person, clinic):
    response = api.post(
        url(person),
        consent_api_body(
            clinic, method="verbal", witness_name="Officer Ruiz", discloser=""
        ),
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["part2_complete"] is False
    assert {m["code"] for m in body["part2_missing"]} == {"signature", "discloser"}
    assert all(m["label"] for m in body["part2_missing"])
    assert not consent_decision(
        person=person, agency_id=clinic.pk, info_class="substance_use"
    ).allowed


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"signed_on": "2999-01-01", "expires_on": "2999-06-01"}, "signed_on"),
        ({"expires_on": "2000-01-01"}, "expires_on"),
        ({"method": "verbal", "witness_name": ""}, "witness_name"),
        ({"info_classes": ["gossip"]}, "info_classes"),
        ({"agency": 999999}, "agency"),
        ({"signature_obtained": "yes"}, "signature_obtained"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, person, clinic, overrides, field):
    body = {**consent_api_body(clinic), **overrides}
    response = api.post(url(person), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Consent.objects.exists()


def test_an_agency_of_another_program_is_a_400_on_agency(api, person, program_b):
    response = api.post(
        url(person), consent_api_body(partner_of(program_b)), format="json"
    )
    assert response.status_code == 400
    assert "agency" in response.json()["fields"]


def test_another_programs_consents_are_404(navigator_b, person, clinic, navigator_a):
    consent = recorded_consent(person, by=navigator_a, agency=clinic)
    other = token_client(navigator_b)
    before = AuditEvent.objects.count()
    assert other.get(url(person)).status_code == 404
    assert (
        other.post(url(person), consent_api_body(clinic), format="json").status_code
        == 404
    )
    for path in ("", "revoke/", "form/"):
        method = other.post if path == "revoke/" else other.get
        assert method(f"/api/v1/consents/{consent.pk}/{path}").status_code == 404
    assert AuditEvent.objects.count() == before


def test_revoke(api, person, clinic):
    consent = ConsentFactory(person=person, agency=clinic)
    response = api.post(
        f"/api/v1/consents/{consent.pk}/revoke/",
        {"method": "written", "reason": "Letter received"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["standing"] == "revoked"
    assert body["revoked_method"] == "written" and body["revoked_by"]
    assert body["revoked_reason"] == "Letter received"
    again = api.post(
        f"/api/v1/consents/{consent.pk}/revoke/", {"method": "written"}, format="json"
    )
    assert again.status_code == 409
    bad = api.post(
        f"/api/v1/consents/{ConsentFactory(person=person, agency=clinic).pk}/revoke/",
        {"method": "smoke signals"},
        format="json",
    )
    assert bad.status_code == 400 and "method" in bad.json()["fields"]


def test_the_scanned_form_is_attached_once_and_downloaded_audited(
    api, person, clinic, navigator_a
):
    consent = recorded_consent(person, by=navigator_a, agency=clinic, with_form=False)
    form_url = f"/api/v1/consents/{consent.pk}/form/"
    assert api.get(form_url).status_code == 404
    response = api.post(
        form_url, {"form": SimpleUploadedFile("scan.pdf", PDF)}, format="multipart"
    )
    assert response.status_code == 200, response.content
    assert response.json()["form"]["content_type"] == "application/pdf"
    assert AuditEvent.objects.filter(
        object_type="cases.consent", action=AuditAction.UPDATE
    ).exists()
    again = api.post(
        form_url, {"form": SimpleUploadedFile("scan.pdf", PDF)}, format="multipart"
    )
    assert again.status_code == 409
    download = api.get(form_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    event = AuditEvent.objects.filter(endpoint="api-consent-form").latest("id")
    assert event.disclosed == {"consent.form": [consent.pk]}


def test_a_form_of_the_wrong_type_or_too_big_is_a_400_naming_form(
    api, person, clinic, navigator_a, settings
):
    consent = recorded_consent(person, by=navigator_a, agency=clinic, with_form=False)
    form_url = f"/api/v1/consents/{consent.pk}/form/"
    response = api.post(
        form_url,
        {"form": SimpleUploadedFile("scan.pdf", b"<svg onload=alert(1)>")},
        format="multipart",
    )
    assert response.status_code == 400 and "form" in response.json()["fields"]
    settings.NAVIGATOR_UPLOAD_MAX_BYTES = 100 * 1024
    response = api.post(
        form_url,
        {"form": SimpleUploadedFile("scan.pdf", PDF + b"0" * (300 * 1024))},
        format="multipart",
    )
    assert response.status_code == 400 and "form" in response.json()["fields"]
    assert response.json()["code"] == "file_too_large"
    missing = api.post(form_url, {}, format="multipart")
    assert missing.status_code == 400 and "form" in missing.json()["fields"]
    consent.refresh_from_db()
    assert consent.form_id is None


def test_idempotency_key_replays_a_create(api, person, clinic):
    headers = {"Idempotency-Key": "consent-1"}
    first = api.post(
        url(person), consent_api_body(clinic), format="json", headers=headers
    )
    second = api.post(
        url(person), consent_api_body(clinic), format="json", headers=headers
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Consent.objects.count() == 1


CONSENT_LIST_API_MAX_QUERIES = 9


def test_the_list_has_a_fixed_query_count(
    api, person, program_a, navigator_a, django_assert_max_num_queries
):
    api.get(url(person))  # the token's first use
    for i in range(30):
        ConsentFactory(
            person=person,
            agency=partner_of(program_a),
            revoked_at=timezone.now() if i % 3 == 0 else None,
            recorded_by=navigator_a,
            expires_on=timezone.localdate() + datetime.timedelta(days=i),
        )
    with django_assert_max_num_queries(CONSENT_LIST_API_MAX_QUERIES):
        response = api.get(url(person), {"page_size": 25})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 25
    event = AuditEvent.objects.filter(endpoint="api-consent-list").latest("id")
    assert len(event.disclosed["consent"]) == 25
