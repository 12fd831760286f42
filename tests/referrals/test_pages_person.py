"""The person page shows the person's referrals (a panel, and entries in the
timeline) and Today the user's referrals waiting for an answer; both audit
what they show, and the person page's queries do not grow with them."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from navigator.models import AuditAction, AuditEvent
from referrals.models import ReferralStatus
from tests.cases.test_pages_encounters import TODAY_MAX_QUERIES
from tests.cases.test_pages_person import PERSON_PAGE_MAX_QUERIES
from tests.factories import PersonFactory
from tests.referrals.factories import partner_of, referral_for
from tests.referrals.pages_helpers import scene

pytestmark = pytest.mark.django_db

S = ReferralStatus


@pytest.fixture
def s(program_a, navigator_a):
    return scene(program_a, navigator_a)


def test_the_person_page_shows_open_referrals_and_the_timeline_all(s):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    late = referral_for(s.person, s.agency, by=s.user, respond_by=yesterday)
    done = referral_for(
        s.person, partner_of(s.program, name="Food Bank"), by=s.user, status=S.COMPLETED
    )
    response = s.client.get(reverse("person-detail", args=[s.person.pk]))
    html = response.content.decode()
    panel = html.split('id="referrals"')[1].split("</section>")[0]
    assert "Harbor Clinic" in panel and "No answer: overdue" in panel
    assert "Food Bank" not in panel and "1 closed referral" in panel
    timeline = html.split('id="timeline"')[1]
    assert f'id="ref-{late.pk}-title"' in timeline
    assert f'id="ref-{done.pk}-title"' in timeline
    assert "Completed: connected to service" in timeline
    event = AuditEvent.objects.filter(action=AuditAction.VIEW).latest("id")
    assert sorted(event.disclosed["referral.summary"]) == sorted([late.pk, done.pk])


def test_the_person_page_with_many_referrals_costs_the_same(
    s, django_assert_max_num_queries
):
    agencies = [partner_of(s.program) for _ in range(3)]
    for i in range(30):
        referral_for(
            s.person,
            agencies[i % 3],
            by=s.user,
            status=[S.REQUESTED, S.ACCEPTED, S.COMPLETED][i % 3],
        )
    # The person page's pin counts its one query of referrals (the timeline's,
    # which the panel reads too).
    with django_assert_max_num_queries(PERSON_PAGE_MAX_QUERIES):
        response = s.client.get(reverse("person-detail", args=[s.person.pk]))
    assert response.status_code == 200


def test_today_lists_my_referrals_awaiting_an_answer_overdue_first(
    s, program_a, manager_a
):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    soon = timezone.localdate() + datetime.timedelta(days=2)
    waiting = referral_for(s.person, s.agency, by=s.user, respond_by=soon)
    late = referral_for(
        PersonFactory(program=program_a, first_name="Lee", last_name="Late"),
        s.agency,
        by=s.user,
        respond_by=yesterday,
    )
    accepted = referral_for(s.person, s.agency, by=s.user, status=S.ACCEPTED)
    theirs = referral_for(s.person, s.agency, by=manager_a)
    html = s.client.get(reverse("today")).content.decode()
    section = html.split('id="today-referrals"')[1].split("</section>")[0]
    detail = reverse("referral-detail", args=[late.pk])
    assert section.index(detail) < section.index(
        reverse("referral-detail", args=[waiting.pk])
    )
    assert "No answer: overdue" in section
    for other in (accepted, theirs):
        assert reverse("referral-detail", args=[other.pk]) not in section


def test_today_with_many_referrals_costs_the_same(s, django_assert_max_num_queries):
    for _ in range(15):
        referral_for(
            PersonFactory(program=s.program), s.agency, by=s.user, respond_by=None
        )
    with django_assert_max_num_queries(TODAY_MAX_QUERIES):
        response = s.client.get(reverse("today"))
    assert response.content.decode().count('href="/referrals/') >= 10
