import datetime
import zoneinfo

import pytest
from django.utils import timezone

from cases.models import Encounter
from cases.services import EncounterData, family_contact_add
from followups import services
from followups.models import Reminder, ReminderKind, ReminderStatus, Status
from navigator.errors import Conflict, DomainError
from navigator.models import AuditEvent, QueuedTask, Role
from tests.factories import EncounterFactory, PersonFactory, member
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db


def test_schedule_plans_a_due_soon_reminder_and_audits(navigator_a):
    followup = schedule(navigator_a, in_minutes=180)
    reminder = Reminder.objects.get(followup=followup)
    assert reminder.kind == ReminderKind.DUE_SOON
    assert reminder.recipient_user == navigator_a
    # Default lead: 60 minutes before the due time.
    assert reminder.send_after == followup.due_at - datetime.timedelta(minutes=60)
    event = AuditEvent.objects.get(object_type="followups.followup")
    assert event.action == "create" and event.person_id == followup.person_id
    assert event.changes["method"] == [None, "phone"]


def test_cannot_schedule_for_another_programs_person(navigator_a, program_b):
    other = PersonFactory(program=program_b)
    with pytest.raises(DomainError) as exc:
        schedule(navigator_a, person=other)
    assert "person" in exc.value.fields


def test_assignee_must_be_staff_of_the_program(navigator_a, navigator_b):
    with pytest.raises(DomainError) as exc:
        schedule(navigator_a, assigned_to=navigator_b)
    assert "assigned_to" in exc.value.fields


def test_a_contact_is_followed_up_only_with_the_persons_agreement(navigator_a):
    person = PersonFactory(program=navigator_a.memberships.first().program)
    no = family_contact_add(
        by=navigator_a, person=person, data={"name": "Bo", "relationship": "uncle"}
    )
    with pytest.raises(DomainError) as exc:
        schedule(navigator_a, person=person, contact=no)
    assert exc.value.fields["contact"][0].startswith(f"{person.display_name} has not")
    yes = family_contact_add(
        by=navigator_a,
        person=person,
        data={"name": "Rita", "relationship": "mother", "may_contact": True},
    )
    followup = schedule(navigator_a, person=person, contact=yes)
    with pytest.raises(DomainError) as exc:
        services.followup_update(
            by=navigator_a, followup=followup, data={"contact": no}
        )
    assert "contact" in exc.value.fields
    followup.refresh_from_db()
    assert followup.contact_id == yes.pk


@pytest.mark.parametrize("years", [-6, 6])
def test_due_time_years_away_is_refused_naming_the_field(navigator_a, years):
    far = timezone.now() + datetime.timedelta(days=366 * years)
    with pytest.raises(DomainError) as exc:
        schedule(navigator_a, due_at=far)
    assert exc.value.fields["due_at"] == ["Give a due time within 5 years of today."]
    followup = schedule(navigator_a)
    with pytest.raises(DomainError) as exc:
        services.followup_reschedule(by=navigator_a, followup=followup, due_at=far)
    assert "due_at" in exc.value.fields
    followup.refresh_from_db()
    assert followup.due_at != far


def test_reschedule_replaces_pending_reminders(navigator_a):
    followup = schedule(navigator_a, in_minutes=180)
    new_due = followup.due_at + datetime.timedelta(days=1)
    services.followup_reschedule(by=navigator_a, followup=followup, due_at=new_due)
    pending = Reminder.objects.filter(followup=followup, status=ReminderStatus.PENDING)
    assert [r.send_after for r in pending] == [new_due - datetime.timedelta(minutes=60)]
    assert (
        Reminder.objects.filter(
            followup=followup, status=ReminderStatus.CANCELLED
        ).count()
        == 1
    )
    update = AuditEvent.objects.filter(action="update").get()
    assert update.changes["due_at"][1] == new_due.isoformat()


def test_reassign_moves_the_reminder(navigator_a, program_a):
    colleague = member(program_a, Role.NAVIGATOR)
    followup = schedule(navigator_a)
    services.followup_reassign(by=navigator_a, followup=followup, assigned_to=colleague)
    pending = Reminder.objects.get(followup=followup, status=ReminderStatus.PENDING)
    assert pending.recipient_user == colleague


def test_complete_then_transitions_are_conflicts(navigator_a):
    followup = schedule(navigator_a)
    done = services.followup_complete(
        by=navigator_a, followup=followup, outcome="reached", notes="ok"
    )
    assert done.status == Status.COMPLETED and done.completed_by == navigator_a
    assert not Reminder.objects.filter(status=ReminderStatus.PENDING).exists()
    with pytest.raises(Conflict):
        services.followup_cancel(by=navigator_a, followup=done, reason="x")
    with pytest.raises(Conflict):
        services.followup_reschedule(
            by=navigator_a, followup=done, due_at=timezone.now()
        )


def test_completing_a_cancelled_followup_is_a_conflict_with_a_clear_message(
    navigator_a,
):
    followup = schedule(navigator_a)
    services.followup_cancel(by=navigator_a, followup=followup, reason="moved away")
    with pytest.raises(Conflict) as exc:
        services.followup_complete(by=navigator_a, followup=followup, outcome="reached")
    assert exc.value.status == 409
    assert "cancelled" in exc.value.detail


def test_cancel_needs_a_reason(navigator_a):
    followup = schedule(navigator_a)
    with pytest.raises(DomainError) as exc:
        services.followup_cancel(by=navigator_a, followup=followup, reason=" ")
    assert "reason" in exc.value.fields


def test_due_in_days_keeps_local_wall_clock_across_dst(program_a):
    # 2026-11-01 is the end of DST in America/Los_Angeles.
    before = datetime.datetime(2026, 10, 30, 12, 0, tzinfo=datetime.UTC)
    due = services.due_in_days(
        program=program_a, days=3, at=datetime.time(9, 0), now=before
    )
    la = zoneinfo.ZoneInfo("America/Los_Angeles")
    assert due.astimezone(la).time() == datetime.time(9, 0)
    assert due.astimezone(datetime.UTC).hour == 17  # PST is UTC-8 after the change
    same_day = services.due_in_days(
        program=program_a, days=0, at=datetime.time(9, 0), now=before
    )
    assert same_day.astimezone(datetime.UTC).hour == 16  # PDT, UTC-7


def test_person_reminder_only_with_consent(navigator_a, program_a):
    without = PersonFactory(program=program_a, phone="+15550001", sms_consent=False)
    with_consent = PersonFactory(program=program_a, phone="+15550002", sms_consent=True)
    a = schedule(
        navigator_a, person=without, in_minutes=3 * 24 * 60, remind_person=True
    )
    b = schedule(
        navigator_a, person=with_consent, in_minutes=3 * 24 * 60, remind_person=True
    )
    assert not Reminder.objects.filter(followup=a, kind=ReminderKind.PERSON).exists()
    assert Reminder.objects.filter(followup=b, kind=ReminderKind.PERSON).exists()


# --- an encounter and its follow-up: one transaction (issue 8) ----------------

ENCOUNTER: EncounterData = {
    "location_text": "Main St",
    "source": "911_call",
    "response_model": "embedded",
    "disposition": "resolved_on_scene",
    "minutes_engaged": 20,
    "concerns": ["mental_health"],
}


def test_encounter_with_follow_up_is_one_write(navigator_a, program_a):

    person = PersonFactory(program=program_a)
    encounter, followup = services.encounter_log_with_followup(
        by=navigator_a,
        data={
            "started_at": timezone.now() - datetime.timedelta(hours=1),
            **ENCOUNTER,
        },
        program=program_a,
        person=person,
        followup=services.FollowupAfterEncounter(days=2, method="phone"),
    )
    assert Encounter.objects.get() == encounter
    assert followup is not None and followup.encounter == encounter
    local = timezone.localtime(followup.due_at, program_a.tz)
    started = timezone.localtime(encounter.started_at, program_a.tz)
    assert local.date() == started.date() + datetime.timedelta(days=2)
    assert local.time() == datetime.time(10, 0)


def test_a_failing_follow_up_rolls_the_encounter_back(navigator_a, program_a):

    person = PersonFactory(program=program_a)
    tasks = QueuedTask.objects.count()
    with pytest.raises(DomainError) as caught:
        services.encounter_log_with_followup(
            by=navigator_a,
            data={
                "started_at": timezone.now() - datetime.timedelta(hours=1),
                **ENCOUNTER,
            },
            program=program_a,
            person=person,
            # Far beyond the follow-up's range: refused by followup_schedule.
            followup=services.FollowupAfterEncounter(days=99_999, method="phone"),
        )
    assert "days" in caught.value.fields
    assert "nothing was saved" in caught.value.detail
    assert not Encounter.objects.exists()
    assert not AuditEvent.objects.filter(object_type="cases.encounter").exists()
    assert QueuedTask.objects.count() == tasks  # no familiar-faces evaluation


def test_a_follow_up_needs_an_identified_person(navigator_a, program_a):

    with pytest.raises(DomainError) as caught:
        services.encounter_log_with_followup(
            by=navigator_a,
            data={
                "started_at": timezone.now() - datetime.timedelta(hours=1),
                **ENCOUNTER,
            },
            program=program_a,
            followup=services.FollowupAfterEncounter(days=1, method="phone"),
        )
    assert "person" in caught.value.fields
    assert not Encounter.objects.exists()


# --- rules once only in the API serializer or the forms (issue 8) ------------


def test_a_followup_cannot_move_to_another_person(navigator_a):
    followup = schedule(navigator_a)
    other = PersonFactory(program=followup.program)
    with pytest.raises(DomainError) as exc:
        services.followup_update(
            by=navigator_a, followup=followup, person=other, data={"purpose": "x"}
        )
    assert exc.value.fields["person"] == ["A follow-up cannot move to another person."]
    followup.refresh_from_db()
    assert (followup.person_id, followup.purpose) != (other.pk, "x")


def test_a_followups_encounter_cannot_change(navigator_a):
    person = PersonFactory(program=navigator_a.memberships.first().program)
    encounter = EncounterFactory(program=person.program, person=person)
    followup = schedule(navigator_a, person=person, encounter=encounter)
    with pytest.raises(DomainError) as exc:
        services.followup_update(by=navigator_a, followup=followup, encounter=None)
    assert exc.value.fields["encounter"] == [
        "The encounter of a follow-up cannot be changed."
    ]
    # Echoing the current values is not a change.
    services.followup_update(
        by=navigator_a,
        followup=followup,
        person=person.pk,
        encounter=encounter.pk,
        data={"purpose": "check in"},
    )
    followup.refresh_from_db()
    assert (followup.encounter_id, followup.purpose) == (encounter.pk, "check in")


@pytest.mark.parametrize("close", ["complete", "missed"])
def test_the_notes_limit_holds_for_a_direct_call(navigator_a, close):
    followup = schedule(navigator_a)
    too_long = "n" * 10_001
    with pytest.raises(DomainError) as exc:
        if close == "complete":
            services.followup_complete(
                by=navigator_a, followup=followup, outcome="reached", notes=too_long
            )
        else:
            services.followup_mark_missed(
                by=navigator_a, followup=followup, notes=too_long
            )
    assert "notes" in exc.value.fields
    followup.refresh_from_db()
    assert followup.status == Status.SCHEDULED
