"""A referral's attachments: stored as every upload is, audited, served only
to staff of the referral's program, each download a noted disclosure."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from navigator.errors import DomainError, NotFound
from navigator.models import AuditAction, AuditEvent, StoredFile
from referrals.models import ReferralAttachment
from referrals.selectors import referral_get_for
from referrals.services import referral_attachment_add
from tests.cases.consent_helpers import PDF
from tests.factories import PersonFactory
from tests.referrals.factories import partner_of, referral_for

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def referral(program_a, navigator_a):
    person = PersonFactory(program=program_a)
    return referral_for(person, partner_of(program_a), by=navigator_a)


def test_an_attachment_is_stored_privately_and_audited(referral, navigator_a):
    attachment = referral_attachment_add(
        by=navigator_a,
        referral=referral,
        upload=SimpleUploadedFile("discharge.png", PNG),
    )
    assert attachment.added_by == navigator_a
    on_disk = Path(settings.PRIVATE_FILES_ROOT) / attachment.file.path
    assert on_disk.read_bytes() == PNG
    assert attachment.file.path.startswith("referral_attachment/")
    event = AuditEvent.objects.get(
        object_type="referrals.referral", action=AuditAction.UPDATE
    )
    assert event.changes["attachment"][1]["id"] == attachment.pk
    assert event.person_id == referral.person_id


def test_not_a_pdf_or_image_names_the_field_and_keeps_nothing(referral, navigator_a):
    with pytest.raises(DomainError) as caught:
        referral_attachment_add(
            by=navigator_a,
            referral=referral,
            upload=SimpleUploadedFile("intake.pdf", b"#!/bin/sh\nrm -rf /\n"),
        )
    assert caught.value.fields.keys() == {"file"}
    assert not ReferralAttachment.objects.exists()
    assert not StoredFile.objects.exists()


def test_another_programs_staff_cannot_attach(referral, navigator_b):
    with pytest.raises(NotFound):
        referral_attachment_add(
            by=navigator_b, referral=referral, upload=SimpleUploadedFile("a.pdf", PDF)
        )
    assert not ReferralAttachment.objects.exists()


def test_upload_and_download_through_the_pages(client, referral, navigator_a):
    client.force_login(navigator_a)
    back = f"/people/{referral.person_id}/"
    response = client.post(
        reverse("referral-attachment-add", args=[referral.pk]),
        {"file": SimpleUploadedFile("intake.pdf", PDF), "next": back},
    )
    assert response.status_code == 302
    assert response["Location"] == back + "#attachments"
    attachment = ReferralAttachment.objects.get()
    url = reverse("referral-attachment", args=[referral.pk, attachment.pk])
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    event = AuditEvent.objects.get(endpoint="referral-attachment")
    assert (event.action, event.person_id) == (AuditAction.VIEW, referral.person_id)
    assert event.disclosed == {"referral.attachment": [attachment.pk]}


def test_a_bad_upload_through_the_page_is_a_message_not_a_500(
    client, referral, navigator_a, settings
):
    settings.NAVIGATOR_UPLOAD_MAX_BYTES = 100 * 1024
    client.force_login(navigator_a)
    response = client.post(
        reverse("referral-attachment-add", args=[referral.pk]),
        {"file": SimpleUploadedFile("big.pdf", PDF + b"0" * (300 * 1024))},
        follow=True,
    )
    assert response.status_code == 200
    assert "too big" in response.content.decode()
    assert not ReferralAttachment.objects.exists()


def test_attachments_are_404_to_another_program(
    client, referral, navigator_a, navigator_b, program_a
):
    attachment = referral_attachment_add(
        by=navigator_a, referral=referral, upload=SimpleUploadedFile("a.pdf", PDF)
    )
    client.force_login(navigator_b)
    before = AuditEvent.objects.count()
    url = reverse("referral-attachment", args=[referral.pk, attachment.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        reverse("referral-attachment-add", args=[referral.pk]),
        {"file": SimpleUploadedFile("b.pdf", PDF)},
    )
    assert response.status_code == 404
    # An attachment asked for under another referral of the same program.
    client.force_login(navigator_a)
    other = referral_for(
        PersonFactory(program=program_a), partner_of(program_a), by=navigator_a
    )
    wrong = reverse("referral-attachment", args=[other.pk, attachment.pk])
    assert client.get(wrong).status_code == 404
    assert AuditEvent.objects.count() == before
    assert ReferralAttachment.objects.count() == 1


def test_the_include_lists_the_attachments_with_their_links(referral, navigator_a):
    attachment = referral_attachment_add(
        by=navigator_a,
        referral=referral,
        upload=SimpleUploadedFile("<i>discharge.pdf", PDF),
    )
    request = RequestFactory().get(f"/referrals/{referral.pk}/")
    request.user = navigator_a
    loaded = referral_get_for(user=navigator_a, pk=referral.pk)
    html = render_to_string(
        "referrals/_attachments.html", {"referral": loaded}, request=request
    )
    assert reverse("referral-attachment", args=[referral.pk, attachment.pk]) in html
    assert "&lt;i&gt;discharge.pdf" in html
    assert reverse("referral-attachment-add", args=[referral.pk]) in html
    assert 'enctype="multipart/form-data"' in html
