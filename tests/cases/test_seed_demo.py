"""seed_demo: the documented programs and logins, idempotent, deterministic,
realistic enough for the pages (a year of encounters, familiar faces)."""

from __future__ import annotations

import datetime
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from cases import seeding
from cases.models import Alias, Encounter, FamiliarFaceFlag, FamilyContact, Person
from cases.selectors import person_search
from cases.services.people import refresh_search_text
from navigator.models import AuditAction, AuditEvent, Membership, Program, Role, User
from navigator.progress import Progress
from navigator.selectors import is_administrator, program_ids_for

PEOPLE, ENCOUNTERS = 60, 500
NOW = datetime.datetime(2026, 3, 14, 18, 30, tzinfo=datetime.UTC)


PASSWORD = "demo-password-1"


def seed(*args: str, password: str = PASSWORD) -> str:
    out = io.StringIO()
    call_command(
        "seed_demo",
        "--people",
        str(PEOPLE),
        "--encounters",
        str(ENCOUNTERS),
        "--password",
        password,
        *args,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "programs": Program.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "people": Person.objects.count(),
        "aliases": Alias.objects.count(),
        "contacts": FamilyContact.objects.count(),
        "encounters": Encounter.objects.count(),
        "responders": Encounter.navigators.through.objects.count(),
    }


@pytest.fixture
def seeded(db) -> str:
    return seed()


def test_programs_users_and_roles(seeded):
    demo = Program.objects.get(slug="demo")
    assert demo.response_model == "embedded"
    assert len(demo.jurisdictions) == 5
    models = set(Program.objects.values_list("response_model", flat=True))
    assert models == {"embedded", "on_call", "mhp_dispatched"}
    assert {p.time_zone for p in Program.objects.all()} == {
        "America/Los_Angeles",
        "America/Chicago",
        "America/Denver",
    }
    for username, role in [
        ("navigator", Role.NAVIGATOR),
        ("caseworker", Role.CASEWORKER),
        ("manager", Role.PROGRAM_MANAGER),
        ("admin", Role.ADMIN),
        ("clinic", Role.PARTNER),
        ("housing", Role.PARTNER),
    ]:
        user = User.objects.get(username=username)
        assert user.check_password(PASSWORD)
        assert list(user.memberships.values_list("program__slug", "role")) == [
            ("demo", role)
        ]
    assert User.objects.get(username="navigator-oncall").memberships.get().program
    assert (
        User.objects.get(username="manager-crisis").memberships.get().role
        == Role.PROGRAM_MANAGER
    )
    # More than one navigator per program, so responders vary.
    for program in Program.objects.all():
        navigators = program.memberships.filter(role=Role.NAVIGATOR).count()
        assert navigators >= 2, program.slug


def test_admin_has_the_admin_site_but_no_records(seeded):
    admin = User.objects.get(username="admin")
    # The role alone opens the admin site: not a superuser.
    assert is_administrator(user=admin) and not admin.is_superuser
    assert program_ids_for(user=admin) == []
    assert not is_administrator(user=User.objects.get(username="navigator"))
    assert program_ids_for(user=User.objects.get(username="navigator")) == [
        Program.objects.get(slug="demo").pk
    ]


def test_default_password(db):
    call_command(
        "seed_demo", "--people", "5", "--encounters", "5", stdout=io.StringIO()
    )
    assert User.objects.get(username="manager").check_password("navigator-demo")


def test_summary_line(seeded):
    assert re.fullmatch(
        rf"seed_demo: 3 programs, \d+ users, {PEOPLE} people, "
        rf"{ENCOUNTERS} encounters, \d+ follow-ups, \d+ agencies, \d+ referrals "
        r"in \d+\.\d s\n",
        seeded,
    )


def test_running_twice_adds_nothing_and_resets_passwords(seeded):
    before = counts()
    user = User.objects.get(username="navigator")
    user.set_password("changed-by-someone")
    user.save()
    out = seed()
    assert counts() == before
    assert "nothing to add" in out
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert AuditEvent.objects.filter(object_type="seed").count() == 1


def test_bigger_numbers_top_up(db):
    call_command(
        "seed_demo", "--people", "30", "--encounters", "200", stdout=io.StringIO()
    )
    out = seed()
    assert Person.objects.count() == PEOPLE
    assert Encounter.objects.count() == ENCOUNTERS
    assert f"added {PEOPLE - 30} people, {ENCOUNTERS - 200} encounters" in out
    keys = set(Person.objects.values_list("external_id", flat=True))
    assert keys == {f"demo-{n}" for n in range(1, PEOPLE + 1)}


def test_one_audit_event_summarises_the_seed(seeded):
    event = AuditEvent.objects.get(object_type="seed")
    assert event.action == "create"
    assert event.source == "command"
    assert event.changes["people"] == [0, PEOPLE]
    assert event.changes["encounters"] == [0, ENCOUNTERS]


def test_encounters_span_the_past_year_never_the_future(db):
    before = timezone.now()
    seed()
    after = timezone.now()
    first = Encounter.objects.earliest("started_at").started_at
    last = Encounter.objects.latest("started_at").started_at
    assert last <= after
    assert last > before - datetime.timedelta(days=14)
    assert first >= before - datetime.timedelta(days=366)
    assert first < before - datetime.timedelta(days=300)
    assert not Encounter.objects.filter(created_at__gt=after).exists()
    assert not Encounter.objects.filter(created_at__lt=F("started_at")).exists()


def test_unidentified_encounters_are_described(seeded):
    unidentified = Encounter.objects.filter(person=None)
    assert unidentified.count() >= 5
    assert not unidentified.filter(unidentified_description="").exists()


def test_some_people_are_familiar_faces(seeded):
    busiest = (
        Person.objects.annotate(n=Count("encounters"))
        .order_by("-n")
        .values_list("n", flat=True)
    )
    assert busiest[0] >= 10
    assert sum(1 for n in busiest if n <= 3) > 0  # and most are not


def test_familiar_faces_are_flagged_after_seeding(seeded):
    # The seed bypasses encounter_log, so it evaluates the rules itself.
    demo = Program.objects.get(slug="demo")
    assert FamiliarFaceFlag.objects.filter(program=demo).exists()
    flagged = FamiliarFaceFlag.objects.filter(program=demo).count()
    seed()
    assert FamiliarFaceFlag.objects.filter(program=demo).count() == flagged


def test_responders_are_the_programs_navigators(seeded):
    links = Encounter.navigators.through.objects.values_list(
        "encounter__program_id", "user_id"
    )
    navigators = set(
        Membership.objects.filter(role=Role.NAVIGATOR).values_list(
            "program_id", "user_id"
        )
    )
    assert set(links) <= navigators
    assert not Encounter.objects.filter(navigators=None).exists()
    for encounter in Encounter.objects.prefetch_related("navigators")[:50]:
        assert encounter.created_by_id in {u.pk for u in encounter.navigators.all()}
        assert encounter.response_model == encounter.program.response_model


def test_people_are_varied_and_valid(seeded):
    people = Person.objects.all()
    assert people.exclude(dob_precision="exact").exists()
    assert people.filter(date_of_birth=None).count() < PEOPLE
    assert people.filter(sms_consent=True).exclude(phone="").exists()
    assert not people.filter(sms_consent=True, phone="").exists()
    assert people.exclude(safety_notes="").exists() or PEOPLE < 30
    assert FamilyContact.objects.exists()
    assert Alias.objects.filter(kind="nickname").exists()
    assert len(set(people.values_list("housing_situation", flat=True))) >= 4
    for person in people[:25]:
        person.full_clean()
    for encounter in Encounter.objects.all()[:25]:
        encounter.full_clean()


def test_accented_names_are_found_without_accents(seeded):
    jose = Person.objects.get(external_id="demo-1")
    assert (jose.first_name, jose.last_name) == ("José", "Núñez")
    assert jose.program.slug == "demo"
    assert person_search(Person.objects.all(), "jose nunez").filter(pk=jose.pk)
    assert Person.objects.filter(first_name="Zoë").exists()


def test_search_text_is_what_the_services_store(seeded):
    for person in Person.objects.prefetch_related("aliases"):
        stored = person.search_text, person.search_phonetic
        # As person_update recomputes it: aliases in sorted order.
        refresh_search_text(person, sorted(a.name for a in person.aliases.all()))
        assert stored == (person.search_text, person.search_phonetic), (
            person.external_id
        )
        assert person.search_phonetic.strip(), person.external_id


def test_seeded_people_are_found_by_sound(seeded):
    jose = Person.objects.get(external_id="demo-1")
    # Letters swapped: trigrams miss it, Soundex (J200 N520) does not.
    assert person_search(Person.objects.all(), "jsoe nuenz").filter(pk=jose.pk)
    Person.objects.filter(pk=jose.pk).update(search_phonetic="")
    assert not person_search(Person.objects.all(), "jsoe nuenz").filter(pk=jose.pk)


def test_same_seed_same_data():
    def generate(seed: int):
        people = seeding.generate_people(count=40, seed=seed, now=NOW)
        encounters = list(
            seeding.generate_encounters(
                count=200,
                seed=seed,
                now=NOW,
                people=people,
                navigators={p.slug: [1, 2] for p in seeding.PROGRAMS},
            )
        )
        return [(p.values, p.aliases, p.contacts) for p in people], encounters

    assert generate(7) == generate(7)
    assert generate(7) != generate(8)


def test_seed_loads_what_the_generator_makes(db):
    seeding.seed_demo(people=20, encounters=50, seed=3, now=NOW)
    plan = seeding.generate_people(count=20, seed=3, now=NOW)
    loaded = {
        p.external_id: (p.first_name, p.last_name, p.date_of_birth, p.gender)
        for p in Person.objects.all()
    }
    assert loaded == {
        p.values["external_id"]: (
            p.values["first_name"],
            p.values["last_name"],
            p.values["date_of_birth"],
            json.loads(p.values["gender"]),
        )
        for p in plan
    }
    assert not Encounter.objects.filter(started_at__gt=NOW).exists()


def test_negative_numbers_are_refused(db):
    with pytest.raises(CommandError):
        call_command("seed_demo", "--people", "-1", stdout=io.StringIO())


def test_progress_is_quiet_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream=stream)
    assert not progress.enabled
    with progress.phase("people", total=10) as bar:
        bar.update(10)
    assert stream.getvalue() == ""
    shown = io.StringIO()
    with Progress(stream=shown, enabled=True).phase("people", total=10) as bar:
        bar.update(10)
    assert "10/10" in shown.getvalue()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="bulk mode is PostgreSQL only"
)
def test_bulk_mode_restores_keys_and_indexes(db, monkeypatch):
    def schema() -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid IN ('cases_encounter'::regclass, "
                "'cases_person'::regclass, 'cases_encounter_navigators'::regclass) "
                "UNION ALL SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename IN ('cases_encounter', 'cases_person', "
                "'cases_encounter_navigators')"
            )
            return set(cursor.fetchall())

    before = schema()
    monkeypatch.setattr("navigator.bulk.BULK_MODE_ABOVE", 0)
    seed()
    assert schema() == before
    assert counts()["encounters"] == ENCOUNTERS


def test_seeded_emails_are_valid_addresses(seeded):
    # Bulk inserts skip model validation; the API schema's "email" format
    # (ASCII, as Django's EmailValidator) was broken by "bjorn.søndergaard".
    from django.core.validators import validate_email

    emails = Person.objects.exclude(email="").values_list("email", flat=True)
    assert emails
    for email in emails:
        validate_email(email)


def test_every_seeded_person_has_its_audit_event(seeded):
    # Seeded people go through people_upsert_bulk, the import's write path.
    people = Person.objects.filter(external_id__startswith="demo-")
    events = AuditEvent.objects.filter(
        object_type="cases.person", action=AuditAction.CREATE
    )
    assert set(events.values_list("object_id", flat=True)) == {
        str(pk) for pk in people.values_list("pk", flat=True)
    }
    assert set(events.values_list("reason", flat=True)) == {
        "seed_demo: synthetic demo person"
    }
