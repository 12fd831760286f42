"""One referral's page: what it shows (the agency's phone, the consent or
the override, the history with who recorded what for the agency), notes,
edits; and every referral page and action is 404 to another program."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from navigator.models import AuditAction, AuditEvent
from referrals.models import ReferralStatus
from referrals.services import ReferralData, referral_act, referral_create
from tests.referrals.factories import ConsentFactory, referral_for
from tests.referrals.pages_helpers import scene

pytestmark = pytest.mark.django_db

S = ReferralStatus


@pytest.fixture
def s(program_a, navigator_a):
    return scene(program_a, navigator_a)


@pytest.fixture
def sent(s):
    ConsentFactory(person=s.person, agency=s.agency)
    referral = referral_create(
        by=s.user,
        data=ReferralData(person=s.person, service=s.service, reason="Needs a bed"),
        send=True,
    )
    referral_act(by=s.user, referral=referral, action="accept")
    return referral


def test_the_page_shows_the_referral_and_its_history(s, sent):
    response = s.client.get(reverse("referral-detail", args=[sent.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="tel:555-0142"' in html
    assert "Needs a bed" in html
    assert "Signed " in html  # the consent relied on
    assert "Draft → Requested" in html and "Requested → Accepted" in html
    assert html.count("recorded for the agency by") == 1
    event = AuditEvent.objects.filter(action=AuditAction.VIEW).latest("id")
    assert event.disclosed == {
        "referral": [sent.pk],
        "person.name": [s.person.pk],
        "consent": [sent.consent_id],
    }


def test_notes_are_added_to_the_thread(s, sent):
    url = reverse("referral-note-add", args=[sent.pk])
    empty = s.client.post(url, {"text": "  "})
    assert empty.status_code == 400
    assert "Write the note." in empty.content.decode()
    response = s.client.post(url, {"text": "Bed held until 6 pm"})
    assert response.status_code == 302
    page = s.client.get(reverse("referral-detail", args=[sent.pk])).content.decode()
    assert "Bed held until 6 pm" in page


def test_editable_fields_are_edited(s, sent):
    url = reverse("referral-edit", args=[sent.pk])
    assert s.client.get(url).status_code == 200
    later = timezone.localdate() + datetime.timedelta(days=5)
    response = s.client.post(
        url,
        {
            "edit-reason": "Needs a bed for two nights",
            "edit-urgency": "urgent",
            "edit-is_involuntary": "false",
            "edit-respond_by": later.isoformat(),
            "edit-assigned_to": s.user.pk,
        },
    )
    assert response.status_code == 302
    sent.refresh_from_db()
    assert (sent.reason, sent.urgency, sent.respond_by) == (
        "Needs a bed for two nights",
        "urgent",
        later,
    )
    past = s.client.post(
        url,
        {
            "edit-reason": "x",
            "edit-urgency": "urgent",
            "edit-is_involuntary": "false",
            "edit-respond_by": "2001-01-01",
            "edit-assigned_to": s.user.pk,
        },
    )
    assert past.status_code == 400
    assert "The respond-by date is in the past." in past.content.decode()


def test_a_closed_referral_offers_no_moves_or_edit(s):
    done = referral_for(s.person, s.agency, by=s.user, status=S.COMPLETED)
    html = s.client.get(reverse("referral-detail", args=[done.pk])).content.decode()
    assert 'name="action"' not in html
    assert reverse("referral-edit", args=[done.pk]) not in html
    assert s.client.get(reverse("referral-edit", args=[done.pk])).status_code == 200
    response = s.client.post(
        reverse("referral-edit", args=[done.pk]),
        {
            "edit-reason": "x",
            "edit-urgency": "urgent",
            "edit-is_involuntary": "false",
            "edit-assigned_to": s.user.pk,
        },
    )
    assert response.status_code == 409


def test_every_referral_page_and_action_is_404_to_another_program(s, sent, navigator_b):
    s.client.force_login(navigator_b)
    pk = sent.pk
    gets = ["referral-detail", "referral-edit"]
    for name in gets:
        assert s.client.get(reverse(name, args=[pk])).status_code == 404, name
    posts = {
        "referral-move": {"action": "start"},
        "referral-note-add": {"text": "hello"},
        "referral-edit": {"edit-reason": "x"},
    }
    for name, data in posts.items():
        assert s.client.post(reverse(name, args=[pk]), data).status_code == 404, name
    sent.refresh_from_db()
    assert sent.status == S.ACCEPTED and not sent.notes.exists()
    assert (
        s.client.get(
            reverse("referral-refer") + f"?encounter={sent.encounter_id or 0}"
        ).status_code
        == 404
    )
