"""Scheduling follow-ups: from the person page, from the encounter form, and
the program's default plan proposed after an encounter; the person timeline."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Encounter
from cases.services import family_contact_add
from followups import services
from followups.models import Followup, Status
from navigator.models import AuditAction, AuditEvent, Role
from tests.factories import EncounterFactory, PersonFactory, member
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
# The person page (tests/cases/test_pages_person.py: with its consents and
# referrals panels) plus one query: the follow-ups of the timeline, with
# assignee, contact and closer joined.
PERSON_PAGE_MAX_QUERIES = 15


@pytest.fixture
def person(program_a):
    return PersonFactory(
        program=program_a, first_name="Rae", last_name="Okafor", phone="555-0101"
    )


def schedule_url(person) -> str:
    return f"{reverse('followup-schedule')}?person={person.pk}"


def local_day(days: int) -> datetime.date:
    return (timezone.localtime(timezone.now(), LA) + datetime.timedelta(days)).date()


def form_post(**overrides) -> dict:
    data = {
        "when": "2",
        "at": "09:15",
        "due_at": "",
        "method": "phone",
        "contact": "",
        "purpose": "Check in after the crisis",
        "priority": "routine",
        "assigned_to": "",
    }
    data.update(overrides)
    return data


# --- from the person page ----------------------------------------------------


def test_scheduling_pages_require_login(client, person):
    encounter = EncounterFactory(person=person)
    for url in (schedule_url(person), reverse("followup-plan", args=[encounter.pk])):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("login")), url
    assert not Followup.objects.exists()


def test_person_page_links_to_scheduling(client, navigator_a, person):
    client.force_login(navigator_a)
    html = client.get(reverse("person-detail", args=[person.pk])).text
    assert f'href="{schedule_url(person)}"' in html
    assert "Schedule follow-up" in html


def test_schedule_in_two_days_with_a_contact(client, navigator_a, program_a, person):
    colleague = member(program_a, Role.NAVIGATOR, first_name="Sam", last_name="Ito")
    mother = family_contact_add(
        by=navigator_a,
        person=person,
        data={
            "name": "Rita",
            "relationship": "mother",
            "phone": "555-0142",
            "may_contact": True,
        },
    )
    family_contact_add(
        by=navigator_a,
        person=person,
        data={"name": "Uncle Bo", "relationship": "uncle", "may_contact": False},
    )
    client.force_login(navigator_a)
    page = client.get(schedule_url(person))
    assert page.status_code == 200
    assert "Rita (mother) · 555-0142" in page.text
    assert "Uncle Bo" not in page.text  # the person did not agree
    assert "The person themselves" in page.text
    response = client.post(
        schedule_url(person),
        form_post(contact=mother.pk, assigned_to=colleague.pk, priority="urgent"),
    )
    assert response.status_code == 302
    assert response.url == reverse("person-detail", args=[person.pk]) + "#timeline"
    followup = Followup.objects.get()
    assert followup.due_at == datetime.datetime.combine(
        local_day(2), datetime.time(9, 15), tzinfo=LA
    )
    assert (followup.contact, followup.assigned_to) == (mother, colleague)
    assert followup.priority == "urgent" and followup.created_by == navigator_a
    assert AuditEvent.objects.filter(
        object_type="followups.followup", action=AuditAction.CREATE
    ).exists()


def test_schedule_at_an_exact_time(client, navigator_a, person):
    client.force_login(navigator_a)
    response = client.post(
        schedule_url(person),
        form_post(when="exact", due_at="2030-06-01T14:30", assigned_to=navigator_a.pk),
    )
    assert response.status_code == 302
    assert Followup.objects.get().due_at == datetime.datetime(
        2030, 6, 1, 14, 30, tzinfo=LA
    )


def test_exact_without_a_time_keeps_what_was_typed(client, navigator_a, person):
    client.force_login(navigator_a)
    response = client.post(
        schedule_url(person),
        form_post(when="exact", purpose="Bring the forms", assigned_to=navigator_a.pk),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["due_at"] == ["Give the date and time."]
    assert "Bring the forms" in response.text
    assert not Followup.objects.exists()


def test_remind_person_needs_sms_consent(client, navigator_a, person):
    client.force_login(navigator_a)
    page = client.get(schedule_url(person))
    assert "has agreed to text messages" in page.text
    assert page.context["form"].fields["remind_person"].disabled
    client.post(
        schedule_url(person), form_post(remind_person="on", assigned_to=navigator_a.pk)
    )
    assert Followup.objects.get().remind_person is False
    person.sms_consent = True
    person.save()
    page = client.get(schedule_url(person))
    assert not page.context["form"].fields["remind_person"].disabled
    client.post(
        schedule_url(person), form_post(remind_person="on", assigned_to=navigator_a.pk)
    )
    assert Followup.objects.filter(remind_person=True).count() == 1


def test_schedule_for_another_programs_person_is_404(client, navigator_b, person):
    client.force_login(navigator_b)
    assert client.get(schedule_url(person)).status_code == 404
    assert client.post(schedule_url(person), form_post()).status_code == 404
    assert client.get(reverse("followup-schedule")).status_code == 404


def test_schedule_for_a_deleted_person_is_404(client, navigator_a, person):
    person.deleted_at = timezone.now()
    person.save()
    client.force_login(navigator_a)
    assert client.get(schedule_url(person)).status_code == 404


def test_assignee_outside_the_program_is_a_field_error(
    client, navigator_a, navigator_b, person
):
    client.force_login(navigator_a)
    response = client.post(schedule_url(person), form_post(assigned_to=navigator_b.pk))
    assert response.status_code == 200
    assert "assigned_to" in response.context["form"].errors


# --- from the encounter form -------------------------------------------------


def encounter_post(person, **overrides) -> dict:
    started = timezone.now() - datetime.timedelta(minutes=30)
    data = {
        "person": str(person.pk) if person else "",
        "person_q": "",
        "unidentified_description": "" if person else "man in his 40s",
        "started_at": started.astimezone(LA).strftime("%Y-%m-%dT%H:%M"),
        "minutes_engaged": "20",
        "location_text": "5th and Main",
        "source": "officer_request",
        "concerns": ["mental_health"],
        "narrative": "Calm.",
        "disposition": "resolved_on_scene",
        "officers": "",
        "response_model": "",
        "cad_number": "",
    }
    data.update(overrides)
    return data


def test_encounter_form_offers_and_schedules_a_follow_up(client, navigator_a, person):
    client.force_login(navigator_a)
    page = client.get(f"{reverse('encounter-create')}?person={person.pk}").text
    assert 'name="followup-days"' in page and 'name="followup-method"' in page
    response = client.post(
        reverse("encounter-create"),
        encounter_post(
            person, **{"followup-days": "2", "followup-method": "in_person"}
        ),
    )
    assert response.status_code == 302
    encounter = Encounter.objects.get()
    followup = Followup.objects.get()
    assert (followup.person, followup.encounter) == (person, encounter)
    assert followup.method == "in_person" and followup.assigned_to == navigator_a
    started_day = timezone.localtime(encounter.started_at, LA).date()
    assert followup.due_at == datetime.datetime.combine(
        started_day + datetime.timedelta(days=2), datetime.time(10), tzinfo=LA
    )
    assert "Follow-up scheduled for" in client.get(response.url).text


def test_encounter_without_follow_up_part_schedules_nothing(
    client, navigator_a, person
):
    client.force_login(navigator_a)
    response = client.post(reverse("encounter-create"), encounter_post(person))
    assert response.status_code == 302
    assert Encounter.objects.count() == 1 and not Followup.objects.exists()


def test_bad_days_keep_the_encounter_form(client, navigator_a, person):
    client.force_login(navigator_a)
    response = client.post(
        reverse("encounter-create"),
        encounter_post(person, **{"followup-days": "-3", "followup-method": "phone"}),
    )
    assert response.status_code == 200
    assert "followup-days" in response.text and "Calm." in response.text
    assert not Encounter.objects.exists()


def test_a_follow_up_for_nobody_is_refused_and_nothing_saved(client, navigator_a):
    client.force_login(navigator_a)
    response = client.post(
        reverse("encounter-create"),
        encounter_post(None, **{"followup-days": "1", "followup-method": "phone"}),
    )
    assert response.status_code == 200
    assert not Encounter.objects.exists() and not Followup.objects.exists()
    assert "person" in response.context["form"].errors
    assert "To schedule a follow-up, choose the person" in response.text
    assert "Calm." in response.text  # what was typed is kept


def test_a_refused_follow_up_rolls_the_encounter_back(
    client, navigator_a, person, monkeypatch
):
    """Issue 8: an encounter and its follow-up are one transaction."""
    from followups.services import scheduling
    from navigator.errors import DomainError

    def refuse(**kwargs):
        raise DomainError.for_field("due_at", "Give the due date and time.")

    monkeypatch.setattr(scheduling, "followup_schedule", refuse)
    client.force_login(navigator_a)
    response = client.post(
        reverse("encounter-create"),
        encounter_post(person, **{"followup-days": "1", "followup-method": "phone"}),
    )
    assert response.status_code == 200
    assert not Encounter.objects.exists()
    # Nor its audit event.
    assert not AuditEvent.objects.filter(object_type="cases.encounter").exists()
    assert "days" in response.context["followup_form"].errors
    assert "Give the due date and time." in response.text


# --- the program's plan, proposed after logging -----------------------------


@pytest.fixture
def plan(program_a, manager_a):
    return [
        services.followup_plan_step_add(
            by=manager_a,
            program=program_a,
            disposition="resolved_on_scene",
            days_after=days,
            method=method,
            purpose=purpose,
        )
        for days, method, purpose in [
            (2, "phone", "How are things?"),
            (14, "in_person", "Two-week visit"),
        ]
    ]


def test_plan_is_proposed_pre_ticked_and_scheduled(client, navigator_a, person, plan):
    client.force_login(navigator_a)
    logged = client.post(reverse("encounter-create"), encounter_post(person))
    encounter = Encounter.objects.get()
    assert logged.url == reverse("followup-plan", args=[encounter.pk])
    page = client.get(logged.url)
    assert page.status_code == 200
    assert page.text.count("checked") >= 2
    assert "Two-week visit" in page.text
    response = client.post(logged.url, {"steps": [str(plan[1].pk)], "at": "11:00"})
    assert response.status_code == 302
    assert response.url == reverse("person-detail", args=[person.pk]) + "#timeline"
    [followup] = Followup.objects.all()
    started_day = timezone.localtime(encounter.started_at, LA).date()
    assert followup.encounter == encounter and followup.method == "in_person"
    assert followup.due_at == datetime.datetime.combine(
        started_day + datetime.timedelta(days=14), datetime.time(11), tzinfo=LA
    )
    # Back on the page, what is already scheduled is shown.
    again = client.get(logged.url)
    assert again.context["already"] == [followup]


def test_no_plan_goes_straight_to_the_person(client, navigator_a, person, plan):
    client.force_login(navigator_a)
    response = client.post(
        reverse("encounter-create"),
        encounter_post(person, disposition="resources_provided"),
    )
    assert response.url == reverse("person-detail", args=[person.pk])


def test_plan_page_of_another_program_is_404(client, navigator_b, person, plan):
    encounter = EncounterFactory(person=person, disposition="resolved_on_scene")
    client.force_login(navigator_b)
    assert client.get(reverse("followup-plan", args=[encounter.pk])).status_code == 404


# --- the person timeline -----------------------------------------------------


def test_timeline_shows_due_and_completed_follow_ups(client, navigator_a, person):
    EncounterFactory(person=person, narrative="Talked on the porch.")
    due = schedule(navigator_a, person=person, in_minutes=60 * 24, purpose="Visit")
    done = schedule(navigator_a, person=person, in_minutes=-60)
    services.followup_complete(
        by=navigator_a, followup=done, outcome="declined", notes="Voicemail full"
    )
    late = schedule(navigator_a, person=person, in_minutes=-60 * 30)
    client.force_login(navigator_a)
    response = client.get(reverse("person-detail", args=[person.pk]))
    entries = response.context["timeline"].object_list
    assert [e["kind"] for e in entries].count("followup") == 3
    assert entries[0]["object"] == due  # upcoming first
    html = response.text
    for f in (due, done, late):
        assert reverse("followup-detail", args=[f.pk]) in html
    assert "Declined contact" in html and "Voicemail full" in html
    assert "Overdue" in html and "timeline-followup" in html
    assert Followup.objects.get(pk=late.pk).status == Status.SCHEDULED


@pytest.mark.parametrize("rows", [3, 30])
def test_person_page_with_follow_ups_query_count_is_flat(
    client, navigator_a, person, django_assert_max_num_queries, rows
):
    contact = family_contact_add(
        by=navigator_a,
        person=person,
        data={"name": "Rita", "relationship": "mother", "may_contact": True},
    )
    for i in range(rows):
        encounter = EncounterFactory(person=person, created_by=navigator_a)
        encounter.navigators.add(navigator_a)
        followup = schedule(
            navigator_a,
            person=person,
            contact=contact if i % 2 else None,
            in_minutes=(i - rows // 2) * 60,
        )
        if i % 3 == 0:
            services.followup_complete(
                by=navigator_a, followup=followup, outcome="reached"
            )
        elif i % 3 == 1:  # tried once: the timeline says so
            services.followup_attempt(
                by=navigator_a, followup=followup, method="", outcome="no_answer"
            )
    client.force_login(navigator_a)
    with django_assert_max_num_queries(PERSON_PAGE_MAX_QUERIES):
        response = client.get(reverse("person-detail", args=[person.pk]))
    timeline = response.context["timeline"]
    assert timeline.paginator.count == 2 * rows
    assert response.text.count("1 unanswered try") == len(range(1, rows, 3))
    assert len(timeline.object_list) == min(2 * rows, 50)  # one page


def test_a_hostile_name_is_not_markup_on_the_schedule_page(client, navigator_a):
    """Issue 7, finding 1: the name went into a help text, which crispy
    renders as HTML, so the script ran for whoever opened the page."""
    payload = "<img src=x onerror=alert(1)>"
    hostile = PersonFactory(
        program=navigator_a.memberships.get().program, last_name=payload
    )
    client.force_login(navigator_a)

    page = client.get(schedule_url(hostile))

    assert page.status_code == 200
    assert payload not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text  # the heading, escaped
