"""Encounters: logging from the field, editing, relinking, soft delete."""

from __future__ import annotations

import datetime
import decimal
import zoneinfo
from typing import Unpack

import pytest
from django.utils import timezone

from cases import selectors, services
from cases.models import Encounter
from cases.services.inputs import EncounterData, Officer
from cases.workspace import selectors as workspace_selectors
from navigator.context import audit_context
from navigator.errors import Conflict, DomainError, NotFound, PermissionDenied
from navigator.models import AuditAction, AuditEvent, Membership, Role
from tests.factories import EncounterFactory, PersonFactory, member

pytestmark = pytest.mark.django_db


def events_for(obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).order_by("id")
    )


def field_error(call) -> set[str]:
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.status == 400
    return set(exc.value.fields)


def data(**overrides: Unpack[EncounterData]) -> EncounterData:
    values: EncounterData = {
        "started_at": timezone.now() - datetime.timedelta(minutes=30),
        "source": "911_call",
        "disposition": "resolved_on_scene",
        "concerns": ["mental_health", "homelessness"],
        "minutes_engaged": 25,
    }
    values.update(overrides)
    return values


@pytest.fixture
def person(program_a):
    return PersonFactory(program=program_a, first_name="Rosa", last_name="Lind")


@pytest.fixture
def log(navigator_a, person):
    def _log(by=None, **kwargs):
        kwargs.setdefault("person", person)
        return services.encounter_log(
            by=by or navigator_a, data=kwargs.pop("data", data()), **kwargs
        )

    return _log


class TestLog:
    def test_records_the_encounter_with_defaults(
        self, log, navigator_a, person, program_a
    ):
        encounter = log()
        encounter.refresh_from_db()
        assert encounter.program == program_a
        assert encounter.person == person
        assert encounter.created_by == navigator_a
        # The program's response model, and the logging user as responder.
        assert encounter.response_model == program_a.response_model
        assert list(encounter.navigators.all()) == [navigator_a]

    def test_writes_one_create_event(self, log, navigator_a, person, program_a):
        with audit_context(request_id="req-enc", source="api"):
            encounter = log(data=data(narrative="Calm after 10 minutes."))
        (event,) = events_for(encounter)
        assert event.action == AuditAction.CREATE
        assert event.actor == navigator_a
        assert event.person_id == person.pk
        assert event.program == program_a
        assert (event.request_id, event.source) == ("req-enc", "api")
        assert event.changes["person_id"] == [None, person.pk]
        assert event.changes["concerns"] == [None, ["mental_health", "homelessness"]]
        assert event.changes["narrative"] == [None, "Calm after 10 minutes."]
        assert event.changes["navigators"] == [[], [navigator_a.pk]]
        assert AuditEvent.objects.count() == 1

    def test_unidentified_person_with_a_description(self, navigator_a):
        encounter = services.encounter_log(
            by=navigator_a,
            data=data(unidentified_description="male, 40s, downtown"),
        )
        assert encounter.person is None
        (event,) = events_for(encounter)
        assert event.person_id is None

    def test_explicit_responders(self, log, navigator_a, program_a):
        partner_nav = member(program_a, Role.NAVIGATOR)
        encounter = log(navigators=[navigator_a.pk, str(partner_nav.pk)])
        assert set(encounter.navigators.all()) == {navigator_a, partner_nav}

    def test_officers_are_kept(self, log):
        officers: list[Officer] = [
            {"name": "Ofc. Chen", "badge": "4411"},
            {"badge": "17"},
        ]
        encounter = log(data=data(officers=officers))
        encounter.refresh_from_db()
        assert encounter.officers == officers

    def test_gps_coordinates_are_rounded_not_refused(self, log):
        # Phones report 7+ decimals and JSON carries floats.
        encounter = log(data=data(latitude=47.6062095, longitude="-122.33207"))
        encounter.refresh_from_db()
        assert encounter.latitude == decimal.Decimal("47.606210")
        assert encounter.longitude == decimal.Decimal("-122.332070")

    def test_a_local_time_is_the_programs_time(self, navigator_a, person, program_a):
        # A form without a zone means the program's wall clock, not UTC.
        naive = datetime.datetime(2024, 1, 15, 10, 0)
        encounter = services.encounter_log(
            by=navigator_a, person=person, data=data(started_at=naive)
        )
        encounter.refresh_from_db()
        expected = naive.replace(tzinfo=zoneinfo.ZoneInfo(program_a.time_zone))
        assert encounter.started_at == expected
        assert encounter.started_at.astimezone(datetime.UTC).hour == 18

    def test_a_start_given_as_text_is_parsed(self, navigator_a, person):
        encounter = services.encounter_log(
            by=navigator_a,
            person=person,
            # deliberately wrong type: text, as a client may send it, is parsed.
            data=data(started_at="2024-03-01T08:30:00+00:00"),  # type: ignore[arg-type]
        )
        encounter.refresh_from_db()
        assert encounter.started_at == datetime.datetime(
            2024, 3, 1, 8, 30, tzinfo=datetime.UTC
        )


class TestValidation:
    def test_a_future_start_is_refused(self, log):
        later = timezone.now() + datetime.timedelta(minutes=6)
        assert field_error(lambda: log(data=data(started_at=later))) == {"started_at"}

    def test_a_phone_clock_a_little_ahead_is_tolerated(self, log):
        soon = timezone.now() + datetime.timedelta(minutes=4)
        assert log(data=data(started_at=soon)).pk

    def test_a_future_start_is_refused_on_update_too(self, log, navigator_a):
        encounter = log()
        later = timezone.now() + datetime.timedelta(hours=1)
        assert field_error(
            lambda: services.encounter_update(
                by=navigator_a, encounter=encounter, data={"started_at": later}
            )
        ) == {"started_at"}

    @pytest.mark.parametrize("value", [None, "", "not a time", "2024-13-01T00:00"])
    def test_a_missing_or_bad_start(self, log, value):
        assert field_error(lambda: log(data=data(started_at=value))) == {"started_at"}

    def test_no_person_and_no_description(self, navigator_a):
        for description in ("", "   "):
            assert field_error(
                lambda d=description: services.encounter_log(
                    by=navigator_a, data=data(unidentified_description=d)
                )
            ) == {"person"}

    def test_latitude_without_longitude(self, log):
        assert field_error(lambda: log(data=data(latitude=47.6))) == {"longitude"}
        assert field_error(lambda: log(data=data(longitude=-122.3))) == {"latitude"}
        assert log(data=data(latitude=47.6, longitude=-122.3)).pk

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("concerns", ["mental_health", "alien_abduction"]),
            ("concerns", ["mental_health", "mental_health"]),
            ("concerns", "mental_health"),
            ("disposition", "teleported"),
            ("source", "carrier_pigeon"),
            ("response_model", "solo"),
            ("officers", [{"rank": "sergeant"}]),
            ("minutes_engaged", 24 * 60 + 1),
            ("minutes_engaged", -5),
            ("latitude", 91),
        ],
    )
    def test_bad_values_name_the_field(self, log, field, value):
        extra: EncounterData = {"longitude": 0} if field == "latitude" else {}
        assert field_error(lambda: log(data=data(**{field: value}, **extra))) == {field}

    def test_unknown_fields_are_refused(self, log):
        # deliberately wrong type: a field EncounterData does not have.
        unknown = data(weather="rain")  # type: ignore[call-arg]
        assert field_error(lambda: log(data=unknown)) == {"weather"}

    def test_unknown_responder_ids(self, log):
        assert field_error(lambda: log(navigators=["abc"])) == {"navigators"}
        assert field_error(lambda: log(navigators=[999_999])) == {"navigators"}

    def test_a_deactivated_user_is_not_a_new_responder(self, log, program_a):
        gone = member(program_a, Role.NAVIGATOR, is_active=False)
        assert field_error(lambda: log(navigators=[gone])) == {"navigators"}

    def test_a_deleted_person_cannot_get_new_encounters(self, log, navigator_a, person):
        services.person_soft_delete(by=navigator_a, person=person, reason="dup")
        assert field_error(lambda: log()) == {"person"}

    def test_a_failed_log_leaves_nothing(self, log, navigator_b):
        with pytest.raises(DomainError):
            log(navigators=[navigator_b])
        assert Encounter.objects.count() == 0
        assert AuditEvent.objects.count() == 0


class TestUpdate:
    def test_records_changed_fields(self, log, navigator_a, person):
        encounter = log(data=data(disposition="resolved_on_scene"))
        with audit_context(request_id="req-edit", source="web"):
            services.encounter_update(
                by=navigator_a,
                encounter=encounter,
                data={"disposition": "transport_hospital", "diverted": True},
            )
        event = events_for(encounter)[-1]
        assert event.action == AuditAction.UPDATE
        assert event.person_id == person.pk
        assert event.request_id == "req-edit"
        assert event.changes == {
            "disposition": ["resolved_on_scene", "transport_hospital"],
            "diverted": [False, True],
        }

    def test_an_update_that_changes_nothing_writes_no_event(
        self, log, navigator_a, program_a
    ):
        started = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)
        encounter = log(data=data(started_at=started, latitude=47.6, longitude=-122.3))
        # The same values as a form sends them back: the time in the program's
        # zone, the coordinates as typed, the same responders and person.
        services.encounter_update(
            by=navigator_a,
            encounter=encounter,
            data={
                "started_at": started.astimezone(program_a.tz),
                "latitude": decimal.Decimal("47.60"),
                "longitude": -122.3,
                "concerns": ["mental_health", "homelessness"],
            },
            navigators=[navigator_a],
            person=encounter.person,
        )
        assert len(events_for(encounter)) == 1

    def test_responder_changes_are_audited(self, log, navigator_a, program_a):
        encounter = log()
        colleague = member(program_a, Role.CASEWORKER)
        services.encounter_update(
            by=navigator_a,
            encounter=encounter,
            data={},
            navigators=[navigator_a, colleague],
        )
        assert set(encounter.navigators.all()) == {navigator_a, colleague}
        assert events_for(encounter)[-1].changes == {
            "navigators": [[navigator_a.pk], sorted([navigator_a.pk, colleague.pk])]
        }

    def test_a_responder_who_left_stays_on_old_encounters(
        self, log, navigator_a, program_a
    ):
        leaver = member(program_a, Role.NAVIGATOR)
        encounter = log(navigators=[navigator_a, leaver])
        Membership.objects.filter(user=leaver).update(is_active=False)
        # Editing the narrative resubmits the responders unchanged: fine.
        services.encounter_update(
            by=navigator_a,
            encounter=encounter,
            data={"narrative": "Follow-up planned."},
            navigators=[navigator_a, leaver],
        )
        assert set(encounter.navigators.all()) == {navigator_a, leaver}
        # But they cannot be added to another encounter.
        other = log()
        assert field_error(
            lambda: services.encounter_update(
                by=navigator_a,
                encounter=other,
                data={},
                navigators=[navigator_a, leaver],
            )
        ) == {"navigators"}

    def test_a_failed_update_changes_nothing(self, log, navigator_a):
        encounter = log(data=data(narrative="first"))
        with pytest.raises(DomainError):
            services.encounter_update(
                by=navigator_a,
                encounter=encounter,
                data={"narrative": "second", "concerns": ["nope"]},
            )
        encounter.refresh_from_db()
        assert encounter.narrative == "first"
        assert len(events_for(encounter)) == 1

    def test_a_stale_form_is_a_conflict(self, log, navigator_a):
        encounter = log()
        shown = Encounter.objects.get(pk=encounter.pk).updated_at
        services.encounter_update(
            by=navigator_a, encounter=encounter, data={"narrative": "a"}
        )
        with pytest.raises(Conflict):
            services.encounter_update(
                by=navigator_a,
                encounter=encounter,
                data={"narrative": "b"},
                expected_updated_at=shown,
            )
        assert Encounter.objects.get(pk=encounter.pk).narrative == "a"


class TestRelink:
    def test_identify_an_unidentified_person(self, navigator_a, person):
        encounter = services.encounter_log(
            by=navigator_a, data=data(unidentified_description="woman, 30s")
        )
        with audit_context(request_id="req-link", source="web"):
            linked = services.encounter_link_person(
                by=navigator_a, encounter=encounter, person=person.pk
            )
        assert linked.person == person
        assert Encounter.objects.get(pk=encounter.pk).person == person
        create_event, link_event = events_for(encounter)
        assert link_event.person_id == person.pk
        assert link_event.changes == {"person_id": [None, person.pk]}
        assert link_event.request_id == "req-link"
        timeline = workspace_selectors.person_timeline(person=person)
        assert [e["object"] for e in timeline] == [encounter]

    def test_relink_between_two_people_is_on_both_trails(
        self, log, navigator_a, person, program_a
    ):
        other = PersonFactory(program=program_a)
        encounter = log()
        services.encounter_link_person(
            by=navigator_a, encounter=encounter, person=other
        )
        relinks = events_for(encounter)[1:]
        assert len(relinks) == 2
        assert {e.person_id for e in relinks} == {person.pk, other.pk}
        for event in relinks:
            assert event.action == AuditAction.UPDATE
            assert event.changes == {"person_id": [person.pk, other.pk]}
        assert workspace_selectors.person_timeline(person=person) == []
        assert [
            e["object"] for e in workspace_selectors.person_timeline(person=other)
        ] == [encounter]

    def test_relink_to_another_programs_person(self, log, navigator_a, program_b):
        encounter = log()
        stranger = PersonFactory(program=program_b)
        assert field_error(
            lambda: services.encounter_link_person(
                by=navigator_a, encounter=encounter, person=stranger
            )
        ) == {"person"}
        assert Encounter.objects.get(pk=encounter.pk).person_id != stranger.pk

    def test_unlinking_needs_a_description(self, log, navigator_a, person):
        encounter = log()
        assert field_error(
            lambda: services.encounter_update(
                by=navigator_a, encounter=encounter, data={}, person=None
            )
        ) == {"person"}
        services.encounter_update(
            by=navigator_a,
            encounter=encounter,
            data={"unidentified_description": "man, 50s"},
            person=None,
        )
        event = events_for(encounter)[-1]
        # Taken off the person's record: it shows on their trail.
        assert event.person_id == person.pk
        assert event.changes["person_id"] == [person.pk, None]


class TestSoftDelete:
    def test_a_reason_is_required(self, log, navigator_a):
        encounter = log()
        assert field_error(
            lambda: services.encounter_soft_delete(
                by=navigator_a, encounter=encounter, reason=" "
            )
        ) == {"reason"}
        assert not Encounter.objects.get(pk=encounter.pk).is_deleted

    def test_hidden_but_kept_and_restorable(self, log, navigator_a, manager_a, person):
        encounter = log()
        services.encounter_soft_delete(
            by=navigator_a, encounter=encounter, reason="logged twice"
        )
        assert not selectors.encounter_list_for(user=navigator_a).exists()
        assert not selectors.encounter_list_recent_for_navigator(
            user=navigator_a
        ).exists()
        assert workspace_selectors.person_timeline(person=person) == []
        with pytest.raises(NotFound):
            selectors.encounter_get_for(user=navigator_a, encounter_id=encounter.pk)
        kept = Encounter.objects.get(pk=encounter.pk)
        assert (kept.deleted_by, kept.deleted_reason) == (navigator_a, "logged twice")

        with pytest.raises(Conflict):
            services.encounter_soft_delete(
                by=navigator_a, encounter=encounter, reason="again"
            )
        with pytest.raises(Conflict):
            services.encounter_update(
                by=navigator_a, encounter=encounter, data={"narrative": "x"}
            )

        with pytest.raises(PermissionDenied):
            services.encounter_restore(by=navigator_a, encounter=encounter, reason="no")
        services.encounter_restore(by=manager_a, encounter=encounter, reason="no")
        assert selectors.encounter_get_for(user=navigator_a, encounter_id=encounter.pk)
        with pytest.raises(Conflict):
            services.encounter_restore(by=manager_a, encounter=encounter)

        actions = [(e.action, e.person_id, e.reason) for e in events_for(encounter)]
        assert actions == [
            ("create", person.pk, ""),
            ("delete", person.pk, "logged twice"),
            ("restore", person.pk, "no"),
        ]
        assert Encounter.objects.filter(pk=encounter.pk).exists()


class TestTimeline:
    def test_newest_first_without_deleted_or_others(self, navigator_a, person):
        now = timezone.now()
        old = EncounterFactory(person=person, started_at=now - datetime.timedelta(9))
        new = EncounterFactory(person=person, started_at=now - datetime.timedelta(1))
        same_time = EncounterFactory(person=person, started_at=new.started_at)
        gone = EncounterFactory(person=person, started_at=now)
        services.encounter_soft_delete(by=navigator_a, encounter=gone, reason="x")
        EncounterFactory(person=PersonFactory(program=person.program))
        timeline = workspace_selectors.person_timeline(person=person)
        assert [e["object"] for e in timeline] == [same_time, new, old]
        assert [e["kind"] for e in timeline] == ["encounter"] * 3
        assert timeline[0]["at"] == same_time.started_at


class TestRecentForNavigator:
    def test_own_and_responded_encounters(self, navigator_a, person, program_a):
        colleague = member(program_a, Role.NAVIGATOR)
        mine = services.encounter_log(by=navigator_a, person=person, data=data())
        with_me = services.encounter_log(
            by=colleague,
            person=person,
            navigators=[colleague, navigator_a],
            data=data(),
        )
        without_me = services.encounter_log(by=colleague, person=person, data=data())
        too_old = services.encounter_log(
            by=navigator_a,
            person=person,
            data=data(started_at=timezone.now() - datetime.timedelta(days=15)),
        )
        recent = list(selectors.encounter_list_recent_for_navigator(user=navigator_a))
        # Each once, newest first, even when both author and responder.
        assert sorted(e.pk for e in recent) == sorted([mine.pk, with_me.pk])
        assert len(recent) == 2
        assert without_me not in recent and too_old not in recent
        assert [e.started_at for e in recent] == sorted(
            (e.started_at for e in recent), reverse=True
        )

    def test_manager_list_is_every_encounter_of_the_program(
        self, navigator_a, manager_a, person, program_a
    ):
        encounters = {
            services.encounter_log(by=navigator_a, person=person, data=data()).pk
            for _ in range(3)
        }
        assert {
            e.pk for e in selectors.encounter_list_for_manager(user=manager_a)
        } == encounters
        assert not selectors.encounter_list_recent_for_navigator(user=manager_a)
