"""The filters shared by the people / encounter pages and the API."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.test import RequestFactory
from django.utils import timezone

from cases import selectors
from cases.filters import EncounterFilter, PersonFilter
from cases.models import HousingSituation, Person
from navigator.models import Membership, Role, User
from tests.factories import EncounterFactory, PersonFactory, member

pytestmark = pytest.mark.django_db


def request_for(user: User):
    request = RequestFactory().get("/")
    request.user = user
    return request


def people(user: User, **params) -> set:
    fs = PersonFilter(
        data=params,
        queryset=selectors.person_list_for(user=user),
        request=request_for(user),
    )
    assert fs.is_valid(), fs.errors
    return set(fs.qs)


def encounters(user: User, **params) -> set:
    fs = EncounterFilter(
        data=params,
        queryset=selectors.encounter_list_for(user=user),
        request=request_for(user),
    )
    assert fs.is_valid(), fs.errors
    return set(fs.qs)


def years_ago(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) + datetime.timedelta(days=days)


class TestPeople:
    def test_date_of_birth(self, navigator_a, program_a):
        ana = PersonFactory(program=program_a, date_of_birth=datetime.date(1980, 5, 1))
        PersonFactory(program=program_a, date_of_birth=datetime.date(1980, 5, 2))
        assert people(navigator_a, date_of_birth="1980-05-01") == {ana}

    def test_age_range_edges(self, navigator_a, program_a):
        # Born 30 years ago today: 30 today. Tomorrow: still 29.
        birthday_today = PersonFactory(program=program_a, date_of_birth=years_ago(30))
        turns_30_tomorrow = PersonFactory(
            program=program_a, date_of_birth=years_ago(30, days=1)
        )
        turned_31_today = PersonFactory(program=program_a, date_of_birth=years_ago(31))
        was_30_yesterday = PersonFactory(
            program=program_a, date_of_birth=years_ago(31, days=1)
        )
        PersonFactory(program=program_a, date_of_birth=None)

        assert people(navigator_a, age_min=30, age_max=30) == {
            birthday_today,
            was_30_yesterday,
        }
        assert people(navigator_a, age_max=29) == {turns_30_tomorrow}
        assert people(navigator_a, age_min=31) == {turned_31_today}
        # The selector agrees with Person.age_on for each of them.
        today = timezone.localdate()
        for person in (birthday_today, turns_30_tomorrow, turned_31_today):
            age = person.age_on(today)
            assert person in people(navigator_a, age_min=age, age_max=age)

    def test_a_leap_day_birthday(self, program_a):
        leapling = PersonFactory(
            program=program_a, date_of_birth=datetime.date(2000, 2, 29)
        )

        def aged_25_on(day: datetime.date) -> bool:
            q = selectors.dob_range_for_age(age_min=25, age_max=25, today=day)
            return Person.objects.filter(q, pk=leapling.pk).exists()

        # Like Person.age_on: still 24 on 28 February 2025, 25 on 1 March.
        assert leapling.age_on(datetime.date(2025, 2, 28)) == 24
        assert not aged_25_on(datetime.date(2025, 2, 28))
        assert aged_25_on(datetime.date(2025, 3, 1))
        # In a leap year the birthday itself counts.
        assert not aged_25_on(datetime.date(2024, 2, 29))
        q = selectors.dob_range_for_age(
            age_min=24, age_max=24, today=datetime.date(2024, 2, 29)
        )
        assert Person.objects.filter(q, pk=leapling.pk).exists()

    @pytest.mark.parametrize(
        ("age_min", "age_max"), [(None, 5000), (5000, None), (0, 10**9)]
    )
    def test_absurd_ages_do_not_crash_the_selector(
        self, navigator_a, program_a, age_min, age_max
    ):
        PersonFactory(program=program_a)
        q = selectors.dob_range_for_age(age_min=age_min, age_max=age_max)
        list(selectors.person_list_for(user=navigator_a).filter(q))

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"age_max": "5000"}, "age_max"),
            ({"age_min": "-1"}, "age_min"),
            ({"age_min": "30.5"}, "age_min"),
            ({"age_min": "old"}, "age_min"),
            ({"date_of_birth": "1980-02-30"}, "date_of_birth"),
            ({"housing_situation": "castle"}, "housing_situation"),
        ],
    )
    def test_bad_filter_values_name_the_field(self, navigator_a, params, field):
        fs = PersonFilter(
            data=params,
            queryset=selectors.person_list_for(user=navigator_a),
            request=request_for(navigator_a),
        )
        assert not fs.is_valid()
        assert set(fs.errors) == {field}

    def test_housing(self, navigator_a, program_a):
        outside = PersonFactory(
            program=program_a, housing_situation=HousingSituation.UNSHELTERED
        )
        PersonFactory(program=program_a, housing_situation=HousingSituation.HOUSED)
        assert people(navigator_a, housing_situation="unsheltered") == {outside}

    def test_program(self, program_a, program_b):
        user = member(program_a, Role.NAVIGATOR)
        Membership.objects.create(user=user, program=program_b, role=Role.NAVIGATOR)
        user = User.objects.get(pk=user.pk)
        in_a = PersonFactory(program=program_a)
        in_b = PersonFactory(program=program_b)
        assert people(user) == {in_a, in_b}
        assert people(user, program=program_b.pk) == {in_b}

    def test_another_programs_id_is_refused_not_applied(self, navigator_a, program_b):
        fs = PersonFilter(
            data={"program": program_b.pk},
            queryset=selectors.person_list_for(user=navigator_a),
            request=request_for(navigator_a),
        )
        assert not fs.is_valid()
        assert set(fs.errors) == {"program"}

    def test_search_and_filters_combine(self, navigator_a, program_a):
        ana = PersonFactory(
            program=program_a,
            first_name="Ana",
            last_name="Ruiz",
            housing_situation=HousingSituation.UNSHELTERED,
        )
        PersonFactory(
            program=program_a,
            first_name="Ana",
            last_name="Ruiz",
            housing_situation=HousingSituation.HOUSED,
        )
        assert people(navigator_a, q="ana", housing_situation="unsheltered") == {ana}

    def test_external_id(self, navigator_a, program_a):
        wanted = PersonFactory(program=program_a, external_id="HMIS-7")
        PersonFactory(program=program_a, external_id="HMIS-70")
        assert people(navigator_a, external_id="HMIS-7") == {wanted}


class TestEncounters:
    @pytest.fixture
    def person(self, program_a):
        return PersonFactory(program=program_a)

    def test_person_and_unidentified(self, navigator_a, person, program_a):
        linked = EncounterFactory(person=person)
        unknown = EncounterFactory(
            person=None, program=program_a, unidentified_description="man, 40s"
        )
        assert encounters(navigator_a, person=person.pk) == {linked}
        assert encounters(navigator_a, unidentified="true") == {unknown}
        assert encounters(navigator_a, unidentified="false") == {linked}

    def test_concern(self, navigator_a, person):
        substance = EncounterFactory(person=person, concerns=["substance_use"])
        both = EncounterFactory(
            person=person, concerns=["mental_health", "substance_use"]
        )
        EncounterFactory(person=person, concerns=["mental_health"])
        EncounterFactory(person=person, concerns=[])
        assert encounters(navigator_a, concern="substance_use") == {substance, both}

    def test_source_disposition_and_cad(self, navigator_a, person):
        wanted = EncounterFactory(
            person=person,
            source="officer_request",
            disposition="transport_hospital",
            cad_number="CAD-1",
        )
        EncounterFactory(person=person, source="911_call", cad_number="CAD-2")
        assert encounters(navigator_a, source="officer_request") == {wanted}
        assert encounters(navigator_a, disposition="transport_hospital") == {wanted}
        assert encounters(navigator_a, cad_number="CAD-1") == {wanted}

    def test_navigator(self, navigator_a, person, program_a):
        colleague = member(program_a, Role.NAVIGATOR)
        with_both = EncounterFactory(person=person)
        with_both.navigators.set([navigator_a, colleague])
        alone = EncounterFactory(person=person)
        alone.navigators.set([colleague])
        # Each encounter once, however many responders matched.
        fs = EncounterFilter(
            data={"navigator": colleague.pk},
            queryset=selectors.encounter_list_for(user=navigator_a),
            request=request_for(navigator_a),
        )
        assert sorted(e.pk for e in fs.qs) == sorted([with_both.pk, alone.pk])

    def test_dates_are_local_to_the_active_time_zone(self, navigator_a, person):
        tz = zoneinfo.ZoneInfo("America/Los_Angeles")
        # 23:30 on 1 March in Los Angeles is already 2 March in UTC.
        late = EncounterFactory(
            person=person, started_at=datetime.datetime(2024, 3, 1, 23, 30, tzinfo=tz)
        )
        EncounterFactory(
            person=person, started_at=datetime.datetime(2024, 3, 2, 9, 0, tzinfo=tz)
        )
        with timezone.override(tz):
            assert encounters(
                navigator_a, date_from="2024-03-01", date_to="2024-03-01"
            ) == {late}

    def test_a_day_is_a_range_of_the_indexed_time(self, navigator_a, person):
        """A day filter compares started_at itself, not each row's local date
        (which no index serves: the list filtered to a month read the whole
        program)."""
        tz = zoneinfo.ZoneInfo("America/Los_Angeles")
        # A 23-hour day: clocks go forward at 2:00. (UTC, for real hours.)
        at = datetime.datetime(2024, 3, 10, tzinfo=tz).astimezone(datetime.UTC)
        first = EncounterFactory(person=person, started_at=at)
        last = EncounterFactory(
            person=person, started_at=at + datetime.timedelta(hours=22, minutes=59)
        )
        EncounterFactory(person=person, started_at=at - datetime.timedelta(minutes=1))
        EncounterFactory(person=person, started_at=at + datetime.timedelta(hours=23))
        with timezone.override(tz):
            assert encounters(
                navigator_a, date_from="2024-03-10", date_to="2024-03-10"
            ) == {first, last}
            fs = EncounterFilter(
                data={"date_from": "2024-03-10", "date_to": "2024-03-10"},
                queryset=selectors.encounter_list_for(user=navigator_a),
                request=request_for(navigator_a),
            )
            sql = str(fs.qs.query)
        assert '"started_at" >= ' in sql and '"started_at" < ' in sql
        # No conversion of the column: SQLite's django_datetime_cast_date(),
        # PostgreSQL's ("started_at" AT TIME ZONE ...)::date.
        assert "cast_date" not in sql and "::date" not in sql
        assert "AT TIME ZONE" not in sql

    @pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
    def test_days_at_the_ends_of_the_calendar(self, navigator_a, person, zone):
        encounter = EncounterFactory(person=person)
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            assert encounters(
                navigator_a, date_from="0001-01-01", date_to="9999-12-31"
            ) == {encounter}
            assert encounters(navigator_a, date_from="9999-12-31") == set()
            assert encounters(navigator_a, date_to="0001-01-01") == set()

    def test_started_after_and_before(self, navigator_a, person):
        now = timezone.now()
        old = EncounterFactory(person=person, started_at=now - datetime.timedelta(10))
        new = EncounterFactory(person=person, started_at=now - datetime.timedelta(1))
        cut = (now - datetime.timedelta(5)).isoformat()
        assert encounters(navigator_a, started_after=cut) == {new}
        assert encounters(navigator_a, started_before=cut) == {old}

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"person": 10**30}, "person"),
            ({"person": "1.5"}, "person"),
            ({"person": "0"}, "person"),
            ({"navigator": "1e57"}, "navigator"),
            ({"program": 10**30}, "program"),
            ({"concern": "alien_abduction"}, "concern"),
            ({"started_after": "yesterday"}, "started_after"),
        ],
    )
    def test_bad_filter_values_name_the_field(self, navigator_a, params, field):
        fs = EncounterFilter(
            data=params,
            queryset=selectors.encounter_list_for(user=navigator_a),
            request=request_for(navigator_a),
        )
        assert not fs.is_valid()
        assert set(fs.errors) == {field}
        list(fs.qs)  # and the page still renders a list

    def test_filters_never_widen_the_scope(self, navigator_a, program_b):
        other = EncounterFactory(person=PersonFactory(program=program_b))
        assert encounters(navigator_a, person=other.person_id) == set()
        assert encounters(navigator_a, cad_number=other.cad_number) == set()
