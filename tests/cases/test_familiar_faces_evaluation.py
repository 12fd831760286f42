import datetime
import io
import threading

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import services as case_services
from cases.familiar import evaluation
from cases.familiar import services as ff
from cases.models import (
    Encounter,
    FamiliarFaceFlag,
    FamiliarFacesMonthEntry,
    FamiliarFacesRule,
    FlagStatus,
    Person,
)
from cases.services import EncounterData
from navigator.context import audit_context
from navigator.models import AuditEvent, Role
from tests.factories import EncounterFactory, PersonFactory, ProgramFactory, member

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


def rule_for(program, **kwargs) -> FamiliarFacesRule:
    defaults = {"name": "r", "min_encounters": 3, "window_days": 30}
    return FamiliarFacesRule.objects.create(program=program, **{**defaults, **kwargs})


def encounters(person, *days_ago, **kwargs):
    return [
        EncounterFactory(
            person=person, started_at=NOW - datetime.timedelta(days=d), **kwargs
        )
        for d in days_ago
    ]


def open_flags(person=None):
    qs = FamiliarFaceFlag.objects.filter(status__in=["active", "dismissed"])
    return list(qs.filter(person=person) if person else qs)


def test_flag_records_why(program_a):
    rule = rule_for(program_a)
    person = PersonFactory(program=program_a)
    made = encounters(person, 1, 5, 20)
    encounters(person, 40)  # outside the window
    evaluation.evaluate_person(person.pk, now=NOW)
    flag = FamiliarFaceFlag.objects.get()
    assert flag.status == FlagStatus.ACTIVE and flag.rule == rule
    assert flag.encounter_count == 3
    assert flag.encounter_ids == [e.pk for e in made]
    assert flag.window_end == NOW
    assert flag.window_start == NOW - datetime.timedelta(days=30)


def test_window_edge_is_exactly_d_days_inclusive(program_a):
    rule_for(program_a, min_encounters=2, window_days=30)
    inside = PersonFactory(program=program_a)
    outside = PersonFactory(program=program_a)
    EncounterFactory(person=inside, started_at=NOW - datetime.timedelta(days=30))
    EncounterFactory(person=inside, started_at=NOW)
    EncounterFactory(
        person=outside, started_at=NOW - datetime.timedelta(days=30, seconds=1)
    )
    EncounterFactory(person=outside, started_at=NOW)
    evaluation.evaluate_program(program_a, now=NOW)
    assert [f.person_id for f in open_flags()] == [inside.pk]


def test_window_counts_calendar_days_in_the_program_zone_across_dst(program_a):
    # 2026-03-08 02:00 is the start of DST in Los Angeles. 10 days before
    # 2026-03-15 12:00 PDT is 2026-03-05 12:00 PST: 239 hours, not 240.
    rule = rule_for(program_a, min_encounters=2, window_days=10)
    now = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=program_a.tz)
    window = evaluation.window_for(rule, now)
    assert window.start == datetime.datetime(2026, 3, 5, 12, 0, tzinfo=program_a.tz)
    utc = datetime.UTC
    assert now.astimezone(utc) - window.start.astimezone(utc) == datetime.timedelta(
        hours=239
    )
    person = PersonFactory(program=program_a)
    EncounterFactory(person=person, started_at=window.start)
    EncounterFactory(person=person, started_at=now)
    evaluation.evaluate_person(person.pk, now=now)
    assert len(open_flags(person)) == 1


def test_source_concern_and_disposition_filters(program_a):
    rule_for(
        program_a,
        min_encounters=2,
        sources=["911_call"],
        concerns=["substance_use", "suicidal_ideation"],
    )
    counts = PersonFactory(program=program_a)
    wrong_source = PersonFactory(program=program_a)
    wrong_concern = PersonFactory(program=program_a)
    encounters(counts, 1, 2, source="911_call", concerns=["substance_use"])
    encounters(wrong_source, 1, 2, source="outreach", concerns=["substance_use"])
    encounters(wrong_concern, 1, 2, source="911_call", concerns=["homelessness"])
    evaluation.evaluate_program(program_a, now=NOW)
    assert [f.person_id for f in open_flags()] == [counts.pk]

    rule_for(program_a, name="detox", min_encounters=2, dispositions=["arrested"])
    encounters(wrong_concern, 3, disposition="arrested")
    encounters(wrong_concern, 4, disposition="arrested")
    evaluation.evaluate_program(program_a, now=NOW)
    assert {f.person_id for f in open_flags()} == {counts.pk, wrong_concern.pk}


def test_flag_clears_with_reason_and_stays_in_history(program_a):
    rule_for(program_a)
    person = PersonFactory(program=program_a)
    encounters(person, 1, 2, 25)
    evaluation.evaluate_person(person.pk, now=NOW)
    later = NOW + datetime.timedelta(days=10)  # the 25-day-old one leaves the window
    evaluation.evaluate_person(person.pk, now=later)
    flag = FamiliarFaceFlag.objects.get()
    assert flag.status == FlagStatus.CLEARED
    assert flag.cleared_at == later and "fewer than 3" in flag.cleared_reason


def test_soft_deleted_encounters_do_not_count(program_a, navigator_a):
    rule_for(program_a)
    person = PersonFactory(program=program_a)
    first, *_ = encounters(person, 1, 2, 3)
    evaluation.evaluate_person(person.pk, now=NOW)
    assert open_flags(person)
    case_services.encounter_soft_delete(by=navigator_a, encounter=first, reason="dup")
    evaluation.evaluate_person(person.pk, now=NOW)
    assert not open_flags(person)


def test_dismissed_flag_returns_only_with_new_contacts(program_a, manager_a):
    rule_for(program_a)
    person = PersonFactory(program=program_a)
    encounters(person, 3, 4, 5)
    evaluation.evaluate_person(person.pk, now=NOW)
    flag = FamiliarFaceFlag.objects.get()
    ff.familiar_flag_dismiss(by=manager_a, flag=flag, reason="housed, stable")
    evaluation.evaluate_program(program_a, now=NOW + datetime.timedelta(hours=1))
    assert FamiliarFaceFlag.objects.get().status == FlagStatus.DISMISSED
    EncounterFactory(person=person, started_at=NOW + datetime.timedelta(hours=2))
    evaluation.evaluate_person(person.pk, now=NOW + datetime.timedelta(hours=3))
    statuses = sorted(FamiliarFaceFlag.objects.values_list("status", flat=True))
    assert statuses == [FlagStatus.ACTIVE, FlagStatus.CLOSED]


def test_relinking_an_unidentified_encounter_counts_for_the_person(
    program_a, navigator_a
):
    rule_for(program_a)
    now = timezone.now()
    person = PersonFactory(program=program_a)
    for days in (1, 2):
        EncounterFactory(person=person, started_at=now - datetime.timedelta(days=days))
    unknown = EncounterFactory(
        person=None,
        program=program_a,
        unidentified_description="male, 40s",
        started_at=now - datetime.timedelta(days=3),
    )
    evaluation.evaluate_person(person.pk, now=now)
    assert not open_flags(person)
    case_services.encounter_link_person(
        by=navigator_a, encounter=unknown, person=person
    )
    evaluation.evaluate_person(person.pk, now=now)
    (flag,) = open_flags(person)
    assert flag.encounter_count == 3 and unknown.pk in flag.encounter_ids


def test_monthly_entries_remember_who_was_on_the_list(program_a):
    rule_for(program_a, window_days=10)
    person = PersonFactory(program=program_a)
    encounters(person, 1, 2, 3)
    evaluation.evaluate_program(program_a, now=NOW)
    encounters(person, 0)
    evaluation.evaluate_program(program_a, now=NOW + datetime.timedelta(hours=1))
    entry = FamiliarFacesMonthEntry.objects.get()
    assert entry.month == datetime.date(2026, 6, 1)
    assert entry.max_count == 4 and entry.first_seen == NOW
    assert entry.last_seen == NOW + datetime.timedelta(hours=1)
    # Later in June the oldest contact has left the window: still on the list
    # with 3, and the month keeps its highest count.
    later = NOW + datetime.timedelta(days=8)
    evaluation.evaluate_program(program_a, now=later)
    entry.refresh_from_db()
    assert (entry.max_count, entry.first_seen, entry.last_seen) == (4, NOW, later)
    # July starts a row of its own; June's stays as it was.
    encounters(person, -15, -16, -17)
    evaluation.evaluate_program(program_a, now=NOW + datetime.timedelta(days=17))
    months = dict(FamiliarFacesMonthEntry.objects.values_list("month", "max_count"))
    assert months == {datetime.date(2026, 6, 1): 4, datetime.date(2026, 7, 1): 3}


def test_default_rule_for_a_new_program(db):
    program = ProgramFactory()
    rules = ff.rules_ensure_default(program=program)
    ff.rules_ensure_default(program=program)
    assert [(r.min_encounters, r.window_days) for r in rules] == [(4, 90)]
    assert FamiliarFacesRule.objects.filter(program=program).count() == 1
    (event,) = AuditEvent.objects.filter(object_type="cases.familiarfacesrule")
    assert (event.actor, event.action, event.program) == (None, "create", program)


def test_rule_changes_are_for_managers_and_audited(program_a, manager_a, navigator_a):
    from navigator.errors import PermissionDenied
    from navigator.models import AuditEvent

    with pytest.raises(PermissionDenied):
        ff.familiar_rule_create(by=navigator_a, program=program_a, data={})
    rule = ff.familiar_rule_create(
        by=manager_a,
        program=program_a,
        data={"min_encounters": 2, "window_days": 18 * 30},
    )
    ff.familiar_rule_update(by=manager_a, rule=rule, data={"is_active": False})
    events = AuditEvent.objects.filter(object_type="cases.familiarfacesrule")
    assert [e.action for e in events.order_by("id")] == ["create", "update"]


history = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4),  # which person
        st.integers(min_value=0, max_value=60),  # days ago
        st.sampled_from(["911_call", "outreach"]),
        st.booleans(),  # soft-deleted
    ),
    max_size=30,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(history=history, min_encounters=st.integers(2, 4), window=st.integers(5, 45))
def test_incremental_and_full_evaluation_agree(
    program_a, history, min_encounters, window
):
    # Hypothesis reuses the test's database between examples: start clean.
    for model in (
        FamiliarFacesMonthEntry,
        FamiliarFaceFlag,
        Encounter,
        FamiliarFacesRule,
        Person,
    ):
        model.objects.all().delete()
    rule_for(
        program_a,
        min_encounters=min_encounters,
        window_days=window,
        sources=["911_call"],
    )
    people = [PersonFactory(program=program_a) for _ in range(5)]
    for who, days, source, deleted in history:
        EncounterFactory(
            person=people[who],
            source=source,
            started_at=NOW - datetime.timedelta(days=days, hours=who),
            deleted_at=NOW if deleted else None,
        )
    for person in people:
        evaluation.evaluate_person(person.pk, now=NOW)
    incremental = sorted(
        (f.person_id, f.encounter_count, tuple(f.encounter_ids)) for f in open_flags()
    )
    FamiliarFaceFlag.objects.all().delete()
    evaluation.evaluate_program(program_a, now=NOW)
    full = sorted(
        (f.person_id, f.encounter_count, tuple(f.encounter_ids)) for f in open_flags()
    )
    assert incremental == full
    # And both agree with counting by hand.
    expected = set()
    for i, person in enumerate(people):
        n = sum(
            1
            for who, days, source, deleted in history
            if who == i
            and source == "911_call"
            and not deleted
            and NOW - datetime.timedelta(days=days, hours=who)
            >= NOW - datetime.timedelta(days=window)
        )
        if n >= min_encounters:
            expected.add(person.pk)
    assert {pid for pid, _, _ in full} == expected


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
)
def test_concurrent_evaluations_leave_one_active_flag():
    program = ProgramFactory()
    member(program, Role.NAVIGATOR)
    rule_for(program)
    person = PersonFactory(program=program)
    encounters(person, 1, 2, 3, 4)
    barrier = threading.Barrier(4)
    errors = []

    def run(full: bool):
        barrier.wait()
        try:
            if full:
                evaluation.evaluate_program(program, now=NOW)
            else:
                evaluation.evaluate_person(person.pk, now=NOW)
        except Exception as exc:  # collected: a deadlock here must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i % 2 == 0,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert FamiliarFaceFlag.objects.filter(status="active").count() == 1


def test_logging_encounters_flags_the_person_once_committed(
    program_a, navigator_a, django_capture_on_commit_callbacks
):
    rule_for(program_a, min_encounters=2)
    person = PersonFactory(program=program_a)
    data: EncounterData = {"source": "911_call", "disposition": "resolved_on_scene"}
    with django_capture_on_commit_callbacks(execute=True):
        for hours in (5, 3):
            case_services.encounter_log(
                by=navigator_a,
                person=person,
                data={
                    **data,
                    "started_at": timezone.now() - datetime.timedelta(hours=hours),
                },
            )
    (flag,) = open_flags(person)
    assert flag.encounter_count == 2
    with django_capture_on_commit_callbacks(execute=True):
        case_services.person_soft_delete(by=navigator_a, person=person, reason="dup")
    assert open_flags(person) == []


# --- the evaluation's own audit trail ----------------------------------------


def flag_events(**filters):
    return list(
        AuditEvent.objects.filter(object_type="cases.familiarfaceflag", **filters)
        .order_by("id")
        .values_list("object_id", "person_id", "action", "changes", "actor_id")
    )


def test_raising_clearing_and_closing_flags_are_audited_as_the_system(
    program_a, manager_a
):
    rule = rule_for(program_a)
    stays, leaves = PersonFactory.create_batch(2, program=program_a)
    encounters(stays, 1, 2, 3)
    encounters(leaves, 1, 2, 25)
    with audit_context(request_id="nightly-1", source="task"):
        stats = evaluation.evaluate_program(program_a, now=NOW)
    assert stats["raised"] == 2
    raised = {f.person_id: f for f in open_flags()}
    assert flag_events() == [
        (str(raised[p.pk].pk), p.pk, "create", {"status": [None, "active"]}, None)
        for p in sorted((stays, leaves), key=lambda p: raised[p.pk].pk)
    ]
    event = AuditEvent.objects.filter(object_type="cases.familiarfaceflag").first()
    assert event is not None
    assert (event.source, event.request_id, event.program_id) == (
        "task",
        "nightly-1",
        program_a.pk,
    )
    assert rule.describe() in event.reason

    # Ten days on, one leaves the list; the other is dismissed, then has a
    # new contact: the dismissal is closed and a new flag raised.
    ff.familiar_flag_dismiss(by=manager_a, flag=raised[stays.pk], reason="housed")
    encounters(stays, -9)
    seen = AuditEvent.objects.latest("id").pk
    later = NOW + datetime.timedelta(days=10)
    evaluation.evaluate_program(program_a, now=later)
    new_flag = FamiliarFaceFlag.objects.get(person=stays, status="active")
    assert sorted(flag_events(pk__gt=seen), key=lambda e: e[2]) == [
        (str(new_flag.pk), stays.pk, "create", {"status": [None, "active"]}, None),
        (
            str(raised[leaves.pk].pk),
            leaves.pk,
            "update",
            {"status": ["active", "cleared"]},
            None,
        ),
        (
            str(raised[stays.pk].pk),
            stays.pk,
            "update",
            {"status": ["dismissed", "closed"]},
            None,
        ),
    ]
    # A run that changes nothing writes nothing.
    seen = AuditEvent.objects.latest("id").pk
    evaluation.evaluate_program(program_a, now=later + datetime.timedelta(minutes=1))
    assert flag_events(pk__gt=seen) == []


def test_turning_a_rule_off_audits_each_flag_it_clears_by_the_manager(
    program_a, manager_a
):
    rule = rule_for(program_a)
    person = PersonFactory(program=program_a)
    encounters(person, 1, 2, 3)
    evaluation.evaluate_program(program_a, now=NOW)
    (flag,) = open_flags()
    ff.familiar_rule_update(by=manager_a, rule=rule, data={"is_active": False})
    assert flag_events(actor=manager_a) == [
        (
            str(flag.pk),
            person.pk,
            "update",
            {"status": ["active", "cleared"]},
            manager_a.pk,
        )
    ]


@pytest.mark.parametrize("n_people", [1, 20])
def test_full_evaluation_audit_is_one_insert(
    program_a, n_people, django_assert_max_num_queries
):
    rule_for(program_a)
    for person in PersonFactory.create_batch(n_people, program=program_a):
        encounters(person, 1, 2, 3)
    # Lock, rules, match, open flags, dismissed encounters, two updates, the
    # insert and its read-back, the audit insert, the month: as many for 20
    # people as for one.
    with django_assert_max_num_queries(14):
        evaluation.evaluate_program(program_a, now=NOW)
    assert len(flag_events()) == n_people


def test_every_front_door_runs_the_same_evaluation_with_the_default_rule(db):
    from django.core.management import call_command

    from cases import tasks

    fresh = ProgramFactory(slug="fresh")
    other = ProgramFactory(slug="other")
    person = PersonFactory(program=fresh)
    for days in (1, 2, 3, 4):
        EncounterFactory(
            person=person,
            started_at=timezone.now() - datetime.timedelta(days=days),
        )
    call_command("evaluate_familiar_faces", "--program", "fresh", stdout=io.StringIO())
    (rule,) = FamiliarFacesRule.objects.filter(program=fresh)
    assert (rule.min_encounters, rule.window_days) == (4, 90)
    assert [f.person for f in open_flags()] == [person]
    event = AuditEvent.objects.get(object_type="cases.familiarfaceflag")
    assert (event.source, event.endpoint) == ("command", "evaluate_familiar_faces")
    assert not FamiliarFacesRule.objects.filter(program=other).exists()
    assert set(tasks.familiar_faces_nightly()) >= {"fresh", "other"}
    assert FamiliarFacesRule.objects.filter(program=other).count() == 1
    assert FamiliarFacesRule.objects.filter(program=fresh).count() == 1
