"""Synthetic demo data: three programs, their users, people, a year of
encounters and the staff's follow-ups.

Everything here is invented: names come from common-name lists, phones use the
555 exchange and e-mail addresses example.com, so nothing can reach a person.

- Deterministic: the same ``seed`` (and the same ``now``) gives the same rows.
- Idempotent: seeded rows carry a key - people ``external_id = "demo-<n>"``,
  encounters ``cad_number = "DEMO-<n>"`` - and a run adds only the keys that are
  missing from 1..people and 1..encounters: the same arguments twice add
  nothing the second time, bigger numbers top up. Programs and users are
  created or updated (password reset) by slug / username.
- Fast: rows are plain values with pre-allocated ids, streamed with COPY on
  PostgreSQL (bulk_create elsewhere). Synthetic rows get no audit event each;
  one ``seed`` audit event records what the run added.
- Follow-ups are few (under a hundred) and go through the follow-up services
  like real ones (validated, audited, reminders planned), once: see
  ``followups_seed``.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import itertools
import json
import math
import random
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from cases.models import Alias, Encounter, FamilyContact, Person
from cases.text import normalize_name, person_search_text
from followups.models import Method, Outcome, Priority, Status
from followups.selectors import followup_settings_for, person_reminder_possible
from followups.services import (
    due_in_days,
    followup_cancel,
    followup_complete,
    followup_mark_missed,
    followup_schedule,
)
from navigator.context import request_id_var, source_var
from navigator.models import (
    AuditAction,
    AuditEvent,
    Membership,
    Program,
    ResponseModel,
    Role,
    User,
)
from navigator.progress import Progress

DEFAULT_PEOPLE = 300
DEFAULT_ENCOUNTERS = 2000
DEFAULT_SEED = 1
DEFAULT_PASSWORD = "navigator-demo"  # noqa: S105 - the documented demo password
PERSON_KEY = "demo-"
ENCOUNTER_KEY = "DEMO-"
# Above this many new rows in one table, PostgreSQL loads go without foreign
# keys and plain indexes, re-created afterwards (see BulkLoader.bulk_mode).
BULK_MODE_ABOVE = 50_000


# --------------------------------------------------------------------------
# Programs and users
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramSpec:
    slug: str
    name: str
    response_model: str
    time_zone: str
    jurisdictions: tuple[str, ...]
    postal_codes: tuple[str, ...]  # one per jurisdiction
    state: str
    area_codes: tuple[str, ...]
    centre: tuple[float, float]
    places: tuple[str, ...]
    streets: tuple[str, ...]
    share: float  # of the seeded people
    # (username, role, first name, last name); the admin gets Django's admin site.
    users: tuple[tuple[str, str, str, str], ...]


PROGRAMS: tuple[ProgramSpec, ...] = (
    ProgramSpec(
        slug="demo",
        name="Five Cities Co-Responder Program",
        response_model=ResponseModel.EMBEDDED,
        time_zone="America/Los_Angeles",
        jurisdictions=(
            "Arroyo Grande",
            "Grover Beach",
            "Pismo Beach",
            "Oceano",
            "Shell Beach",
        ),
        postal_codes=("93420", "93433", "93449", "93445", "93449"),
        state="CA",
        area_codes=("805",),
        centre=(35.12, -120.60),
        places=(
            "Pismo Beach pier",
            "Grover Beach Amtrak station",
            "Arroyo Grande Village",
            "Oceano Dunes entrance",
            "Ramona Garden Park",
            "Five Cities Center parking lot",
            "creek trail under the Halcyon Rd bridge",
            "Shell Beach bluffs",
        ),
        streets=("Grand Ave", "Halcyon Rd", "Price St", "Pier Ave", "Branch St"),
        share=0.6,
        users=(
            ("navigator", Role.NAVIGATOR, "Maya", "Okafor"),
            ("caseworker", Role.CASEWORKER, "Daniel", "Reyes"),
            ("manager", Role.PROGRAM_MANAGER, "Grace", "Whitfield"),
            ("admin", Role.ADMIN, "Sam", "Patel"),
            ("partner", Role.PARTNER, "Lena", "Hoang"),
            ("navigator2", Role.NAVIGATOR, "Tomás", "Ibáñez"),
            ("navigator3", Role.NAVIGATOR, "Keisha", "Banks"),
            ("navigator4", Role.NAVIGATOR, "Owen", "McCarthy"),
        ),
    ),
    ProgramSpec(
        slug="demo-oncall",
        name="Lake County On-Call Navigators",
        response_model=ResponseModel.ON_CALL,
        time_zone="America/Chicago",
        jurisdictions=("Waukegan", "North Chicago", "Zion", "Round Lake Beach"),
        postal_codes=("60085", "60064", "60099", "60073"),
        state="IL",
        area_codes=("847", "224"),
        centre=(42.36, -87.84),
        places=(
            "Waukegan Metra station",
            "Bowen Park",
            "Sheridan Rd overpass",
            "Lakehurst Rd shopping center",
            "Zion public library",
            "Round Lake Beach Walmart",
        ),
        streets=("Sheridan Rd", "Genesee St", "Belvidere Rd", "Green Bay Rd"),
        share=0.25,
        users=(
            ("navigator-oncall", Role.NAVIGATOR, "Hannah", "Kowalski"),
            ("navigator-oncall2", Role.NAVIGATOR, "Marcus", "Jefferson"),
            ("manager-oncall", Role.PROGRAM_MANAGER, "Priya", "Singh"),
        ),
    ),
    ProgramSpec(
        slug="demo-crisis",
        name="Front Range Crisis Response Unit",
        response_model=ResponseModel.MHP_DISPATCHED,
        time_zone="America/Denver",
        jurisdictions=("Denver", "Aurora", "Lakewood"),
        postal_codes=("80204", "80012", "80226"),
        state="CO",
        area_codes=("303", "720"),
        centre=(39.74, -104.99),
        places=(
            "Union Station",
            "Civic Center Park",
            "Colfax Ave bus stop",
            "Cherry Creek trail",
            "Aurora Municipal Center",
            "Belmar library",
        ),
        streets=("Colfax Ave", "Federal Blvd", "Broadway", "Havana St"),
        share=0.15,
        users=(
            ("navigator-crisis", Role.NAVIGATOR, "Andrés", "Castañeda"),
            ("navigator-crisis2", Role.NAVIGATOR, "Chloé", "Beaulieu"),
            ("manager-crisis", Role.PROGRAM_MANAGER, "Robert", "Begay"),
        ),
    ),
)


def _ensure_programs() -> dict[str, Program]:
    programs = {}
    for spec in PROGRAMS:
        programs[spec.slug], _ = Program.objects.update_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "response_model": spec.response_model,
                "time_zone": spec.time_zone,
                "jurisdictions": list(spec.jurisdictions),
            },
        )
    return programs


def _ensure_users(programs: dict[str, Program], password: str) -> list[User]:
    # One hash for all demo accounts: they share a documented password, so a
    # shared salt reveals nothing, and PBKDF2 per user would cost ~0.3 s each.
    password_hash = make_password(password)
    users = []
    for spec in PROGRAMS:
        for username, role, first_name, last_name in spec.users:
            is_admin = role == Role.ADMIN
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@example.org",
                    "password": password_hash,
                    "is_active": True,
                    # Django's admin site for configuration; the admin role is
                    # not a staff role, so no access to people's records.
                    "is_staff": is_admin,
                    "is_superuser": is_admin,
                },
            )
            Membership.objects.update_or_create(
                user=user,
                program=programs[spec.slug],
                role=role,
                defaults={"is_active": True},
            )
            users.append(user)
    return users


def _words(text: str) -> list[str]:
    """A list written as words, so long vocabularies stay readable."""
    return text.split()


# --------------------------------------------------------------------------
# Vocabulary. Weighted lists are "value:weight" words; "+" joins the values
# of a multi-select (HMIS gender and race are lists).
# --------------------------------------------------------------------------

WOMEN = _words("""Maria María Zoë Chloé Renée Inés Lucía Sofía Ana Guadalupe Jasmine
Keisha Aaliyah Emily Jessica Ashley Sarah Linda Patricia Barbara Susan Karen Nancy
Lisa Betty Dorothy Sandra Kimberly Donna Michelle Carol Amanda Melissa Deborah
Stephanie Rebecca Laura Sharon Cynthia Kathleen Amy Angela Shirley Anna Brenda
Pamela Nicole Samantha Christine Rachel Janet Heather Diane Ruth Julie Joyce
Victoria Kelly Christina Evelyn Lauren Megan Andrea Hannah Martha Gloria Teresa Sara
Madison Frances Jean Alice Judy Grace Denise Amber Doris Danielle Beverly Isabella
Diana Natalie Brittany Charlotte Kayla Lori Thi Mai Linh Hoa Mei Priya Aisha Fatima
Yolanda Rosa Carmen Leticia Marisol Dolores Beatriz Noémie Siobhán Ximena Itzel
Dakota Winona""")
MEN = _words("""James Robert John Michael David William Richard Joseph Thomas Charles
Christopher Daniel Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth
Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric
Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Frank
Patrick Raymond Jack Dennis Jerry Tyler Aaron José Jesús Adam Nathan Henry Douglas
Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry Gerald
Harold Sean Austin Carl Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce
Gabriel Logan Albert Willie Alan Juan Wayne Elijah Randy Roy Vincent Ralph Eugene
Russell Bobby Mason Philip Louis Luis Carlos Miguel Ángel Raúl Andrés Héctor Tomás
Joaquín Darnell DeShawn Tyrone Minh Duc Tuan Hiroshi Björn François Malik Omar""")
SURNAMES = [
    s.replace("_", " ")
    for s in _words("""Smith Johnson Williams Brown Jones Garcia García Miller Davis
Rodriguez Rodríguez Martinez Martínez Hernandez Hernández Lopez López Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Pérez Thompson White
Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott
Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell
Carter Roberts Gómez Phillips Evans Turner Díaz Parker Cruz Edwards Collins Reyes
Stewart Morris Morales Murphy Cook Rogers Gutiérrez Ortiz Morgan Cooper Peterson
Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood
James Bennett Gray Mendoza Ruiz Hughes Price Álvarez Castillo Sanders Patel Myers
Long Ross Foster Jiménez Núñez Peña Muñoz Ibáñez Castañeda O'Neil O'Brien D'Angelo
McCarthy Tran Trần Le Pham Hoang Vo Begay Yazzie Tsosie Kowalski Müller Schröder
Washington Jefferson Banks Okafor Mensah Haddad Khoury Singh Yamamoto Tanaka Santos
Silva Oliveira García-López Smith-Jones Van_Houten""")
]
STREET_NAMES = _words("""Smokey Cowboy Red Professor Junebug Tiny Preacher Sunshine
Boots Chino Flaco Güero Doc Shorty Ghost Sarge Blue Peanut Bird Moon Cricket Tex
Bear Lucky Spider Cookie Duke Smiley Rocket""")
# Short forms people go by (Person.preferred_name).
NICKNAMES = dict(
    pair.split(":")
    for pair in _words("""Robert:Bob William:Bill Richard:Rick James:Jim
Michael:Mike Joseph:Joe Thomas:Tom Christopher:Chris Daniel:Dan Anthony:Tony
Kenneth:Ken Alexander:Alex Benjamin:Ben Nicholas:Nick Jonathan:Jon Samuel:Sam
José:Pepe Jesús:Chuy Guadalupe:Lupe Dolores:Lola Patricia:Pat Kathleen:Kathy
Rebecca:Becky Samantha:Sam Victoria:Vicky Stephanie:Steph Deborah:Debbie
Elizabeth:Liz Jessica:Jess Christina:Tina Beatriz:Bea""")
)
# The first people are fixed, so every demo has the names that exercise
# accent-insensitive search ("jose nunez" finds José Núñez, "zoe" finds Zoë).
CURATED = (
    ("José", "Núñez", "man", ("Joe Nunez", "Flaco")),
    ("Zoë", "Ashford-Brown", "woman", ("Zoe Brown",)),
    ("Renée", "O'Connor", "woman", ("Renee Oconnor",)),
    ("Mai", "Nguyễn", "woman", ("Nguyễn Thị Mai",)),
    ("Björn", "Søndergaard", "man", ("Bear",)),
)
RELATIONSHIPS = _words("""mother father sister brother daughter son spouse partner
grandmother aunt uncle cousin caregiver legal_guardian conservator friend""")
LANGUAGES = """English:78 Spanish:14 Vietnamese:2 Tagalog:1 Mandarin:1
American_Sign_Language:1 Arabic:1 Korean:1 :1"""
GENDERS = """man:54 woman:40 transgender+woman:1 transgender+man:0.5 non_binary:1.5
culturally_specific:0.3 questioning:0.2 doesnt_know:0.5 prefers_not:0.5
not_collected:1.5"""
RACES = """white:34 hispanic:18 white+hispanic:10 black:15 asian:6 american_indian:2
pacific_islander:1 middle_eastern:1 black+white:2 not_collected:6 doesnt_know:2
prefers_not:3"""
VETERAN = "no:80 yes:7 doesnt_know:3 prefers_not:1 not_collected:9"
HOUSING = """housed:35 with_family_friends:15 unsheltered:22 emergency_shelter:10
transitional:5 institutional:3 hotel_motel:4 unknown:6"""
# Familiar faces are mostly people without a home (the programs' experience).
HOUSING_FAMILIAR = """unsheltered:55 emergency_shelter:20 hotel_motel:8
with_family_friends:7 housed:7 unknown:3"""
HOUSED = ("housed", "with_family_friends", "transitional")
SAFETY_NOTES = (
    "Dog on the property; ask them to secure it before approaching.",
    "Responds well to a calm voice; uniforms close by escalate.",
    "History of seizures; medication is in the blue backpack.",
    "Hard of hearing; face them when speaking.",
    "Carries a pocket knife for work; ask, do not reach.",
    "Prefers female responders after past trauma.",
    "Speaks Spanish when stressed; bring a Spanish speaker if possible.",
    "Calming plan: offer water and a seat outside, give space.",
)
LOCATION_NOTES = (
    "Usually near the library in the mornings.",
    "Camps by the creek trail; blue tent.",
    "Sleeps in a silver sedan near the park.",
    "Often at the transit center after 5 pm.",
    "Stays at the rescue mission most nights.",
)
WHO = _words("""male,_20s male,_30s male,_40s male,_50s male,_60s female,_20s
female,_30s female,_40s female,_50s person,_age_unknown""")
SOURCES = {
    ResponseModel.EMBEDDED: "officer_request:45 911_call:35 outreach:12 "
    "provider:4 self:4",
    ResponseModel.ON_CALL: "officer_request:70 911_call:20 provider:6 self:2 "
    "outreach:2",
    ResponseModel.MHP_DISPATCHED: "911_call:70 self:10 provider:10 outreach:8 "
    "officer_request:2",
}
CONCERNS = """mental_health:40 substance_use:15 homelessness:14 welfare_check:12
suicidal_ideation:7 family_conflict:7 developmental_disability:3 other:2"""
DISPOSITIONS = """resources_provided:30 resolved_on_scene:28 refused_services:12
transport_crisis_center:8 transport_hospital:7 involuntary_evaluation:6
transport_walk_in:3 arrested:3 other:3"""
DIVERTING = {
    "resolved_on_scene",
    "resources_provided",
    "transport_crisis_center",
    "transport_walk_in",
}
# Crisis calls cluster in the afternoon and evening (hour:weight).
HOURS = """0:2 1:2 2:1 3:1 4:1 5:1 6:2 7:3 8:4 9:5 10:6 11:6 12:6 13:7 14:7 15:7 16:7
17:7 18:6 19:6 20:5 21:4 22:3 23:3"""
SOURCE_TEXT = {
    "officer_request": "Officer requested a navigator on scene",
    "911_call": "911 caller reported a person in distress",
    "outreach": "Contact made during street outreach",
    "provider": "Provider called for a check on their client",
    "self": "Person walked in and asked for help",
}
CONCERN_TEXT = {
    "mental_health": "reported hearing voices and not sleeping for days",
    "substance_use": "appeared intoxicated and asked about detox",
    "homelessness": "sleeping in a car and asked about shelter beds",
    "welfare_check": "neighbour had not seen them for a week",
    "suicidal_ideation": "disclosed thoughts of suicide; safety plan reviewed",
    "family_conflict": "argument with family at home, no injuries",
    "developmental_disability": "caregiver reported escalating behaviour",
    "other": "needed help replacing lost ID and medication",
}
DISPOSITION_TEXT = {
    "resources_provided": "Gave resource card and scheduled a follow-up.",
    "resolved_on_scene": "De-escalated; resolved on scene.",
    "refused_services": "Declined services; left contact card.",
    "transport_crisis_center": "Voluntary transport to the crisis center.",
    "transport_hospital": "Transported to the ED for medical clearance.",
    "involuntary_evaluation": "Met criteria; evaluation hold requested.",
    "transport_walk_in": "Drove them to the walk-in clinic.",
    "arrested": "Officers arrested on an outstanding warrant.",
    "other": "See follow-up notes.",
}
OFFICERS = _words("""Alvarez Brennan Chen Dawson Estrada Fischer Gallagher Hayes Ito
Jensen Kaur Lindqvist Moreno Novak Ortega Price Quinn Rossi Sato Tafoya""")


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------

ONE_DAY = datetime.timedelta(days=1)
_SHARES = " ".join(f"{i}:{p.share}" for i, p in enumerate(PROGRAMS))


def _table(weights: str, size: int = 1000) -> list[Any]:
    """A weighted list as a lookup table: ``table[int(random() * len(table))]``
    is a weighted pick, several times faster than ``random.choices``."""
    pairs = []
    for word in weights.split():
        value, weight = word.rsplit(":", 1)
        value = value.replace("_", " ") if value[:1].isupper() else value
        pairs.append(
            (tuple(value.split("+")) if "+" in value else value, float(weight))
        )
    total = sum(w for _, w in pairs)
    table: list[Any] = []
    for value, weight in pairs:
        table.extend([value] * max(1, round(weight / total * size)))
    return table


def _pick(seq: Sequence[Any], rand: Callable[[], float]) -> Any:
    return seq[int(rand() * len(seq))]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass
class PersonSeed:
    key: int  # n in external_id "demo-<n>"
    program: str  # slug
    weight: int  # how often met: familiar faces have many contacts
    values: dict[str, Any]  # Person attname -> value; JSON fields as JSON text
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (name, kind)
    contacts: list[dict[str, Any]] = field(default_factory=list)


def generate_people(
    *, count: int, seed: int, now: datetime.datetime
) -> list[PersonSeed]:
    """``count`` synthetic people; the same arguments give the same people."""
    rng = random.Random(f"navigator-seed:{seed}:people")  # noqa: S311 - synthetic data
    rand = rng.random

    def pick(seq: Sequence[Any]) -> Any:
        return seq[int(rand() * len(seq))]

    programs = _table(_SHARES)
    genders, races = _table(GENDERS), _table(RACES)
    veteran, languages = _table(VETERAN), _table(LANGUAGES)
    housing_all, housing_ff = _table(HOUSING), _table(HOUSING_FAMILIAR)
    today = now.date()
    people = []
    for key in range(1, count + 1):
        spec = PROGRAMS[0 if key <= len(CURATED) else int(pick(programs))]
        tier = rand()
        familiar = tier < 0.04
        gender = pick(genders)
        gender = list(gender) if isinstance(gender, tuple) else [gender]
        woman = "woman" in gender or ("man" not in gender and rand() < 0.5)
        aliases: list[tuple[str, str]] = []
        if key <= len(CURATED):
            first, last, sex, curated = CURATED[key - 1]
            gender, woman = [sex], sex == "woman"
            aliases += [(a, "alias" if " " in a else "nickname") for a in curated]
        else:
            first, last = pick(WOMEN if woman else MEN), pick(SURNAMES)
        middle = pick(WOMEN if woman else MEN) if rand() < 0.3 else ""
        preferred = ""
        if first in NICKNAMES and rand() < 0.3:
            preferred = NICKNAMES[first]
        elif rand() < 0.02:
            preferred = pick(STREET_NAMES)  # goes by a street name only
        if rand() < (0.5 if familiar else 0.1):
            aliases.append((pick(STREET_NAMES), "nickname"))
        if rand() < 0.06:
            aliases.append((f"{first} {pick(SURNAMES)}", "former"))
        if rand() < 0.05:
            aliases.append((f"{last} {first}", "alias"))
        aliases = _unique_aliases(aliases)

        # Mostly adults, a few teenagers; about one in eight ages is an
        # estimate ("looks about 40"), stored as 1 January like person_create.
        age = 12 + int(rand() * 6) if rand() < 0.04 else int(rng.triangular(18, 82, 38))
        dob: datetime.date | None = None
        precision = "exact"
        roll = rand()
        if 0.03 <= roll < 0.15:
            dob, precision = datetime.date(today.year - age, 1, 1), "estimated"
        elif roll >= 0.15:
            dob = today - datetime.timedelta(days=age * 365 + int(rand() * 365))

        housing = pick(housing_ff if familiar else housing_all)
        housed = housing in HOUSED
        city = int(rand() * len(spec.jurisdictions))
        phone = ""
        if rand() < (0.45 if housing == "unsheltered" else 0.7):
            phone = _phone(spec, rand)
        email = ""
        if rand() < 0.15:
            local = normalize_name(f"{first} {last}").replace(" ", ".")
            email = f"{local}{key}@example.com"
        sms = bool(phone) and rand() < 0.4
        created_at = now - datetime.timedelta(days=366 + rand() * 1100)
        values: dict[str, Any] = {
            "program_id": spec.slug,  # the program's id at load time
            "external_id": f"{PERSON_KEY}{key}",
            "first_name": first,
            "middle_name": middle,
            "last_name": last,
            "preferred_name": preferred,
            "date_of_birth": dob,
            "dob_precision": precision,
            "gender": _json_list(tuple(gender)),
            "race_ethnicity": _json_list(pick(races)),
            "veteran_status": "no" if age < 18 else pick(veteran),
            "primary_language": pick(languages),
            "phone": phone,
            "email": email,
            "sms_consent": sms,
            "sms_consent_at": created_at if sms else None,
            "housing_situation": housing,
            "street_address": (
                f"{100 + int(rand() * 2900)} {pick(spec.streets)}" if housed else ""
            ),
            "city": spec.jurisdictions[city],
            "state": spec.state,
            "postal_code": spec.postal_codes[city] if housed else "",
            "location_notes": "" if housed else pick(LOCATION_NOTES),
            "safety_notes": pick(SAFETY_NOTES) if rand() < 0.08 else "",
            "created_at": created_at,
            "updated_at": created_at,
        }
        values["search_text"] = seed_search_text(values, aliases)
        contacts = []
        for _ in range((1 if rand() < 0.75 else 2) if rand() < 0.25 else 0):
            relative = last if rand() < 0.6 else pick(SURNAMES)
            contacts.append(
                {
                    "name": f"{pick(WOMEN if rand() < 0.6 else MEN)} {relative}",
                    "relationship": pick(RELATIONSHIPS).replace("_", " "),
                    "phone": _phone(spec, rand),
                    "email": "",
                    "may_contact": rand() < 0.7,
                    "notes": "Best reached after 6 pm." if rand() < 0.2 else "",
                    "created_at": created_at,
                    "updated_at": created_at,
                }
            )
        weight = 8 if familiar else 3 if tier < 0.16 else 1
        people.append(PersonSeed(key, spec.slug, weight, values, aliases, contacts))
    return people


def _phone(spec: ProgramSpec, rand: Callable[[], float]) -> str:
    # The 555 exchange is set aside for fiction in North America.
    area = spec.area_codes[int(rand() * len(spec.area_codes))]
    return f"({area}) 555-{100 + int(rand() * 9900):04d}"


@functools.lru_cache(maxsize=1000)
def _json_list(value: str | tuple[str, ...]) -> str:
    return _json(list(value) if isinstance(value, tuple) else [value])


def _unique_aliases(aliases: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out = []
    for name, kind in aliases:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            out.append((name, kind))
    return out


@functools.lru_cache(maxsize=200_000)
def _search_forms(name: str) -> tuple[str, ...]:
    return tuple(form for form in person_search_text([name]).split(" | ") if form)


def seed_search_text(values: dict[str, Any], aliases: list[tuple[str, str]]) -> str:
    """What cases.services' _refresh_search_text stores for these names.

    person_search_text of the same names in the same order, computed name by
    name with a cache: the vocabulary repeats, and uncached this is most of
    the time spent generating people. tests/cases/test_seed_demo.py checks
    that every seeded person matches what the service computes.
    """
    first, last = values["first_name"], values["last_name"]
    names = [first, values["middle_name"], last, values["preferred_name"]]
    names.append(f"{first} {last}")
    # Aliases sorted, as person_update passes them when it recomputes.
    names.extend(sorted(name for name, _ in aliases))
    seen: list[str] = []
    for name in names:
        for form in _search_forms(name):
            if form not in seen:
                seen.append(form)
    return " | ".join(seen)


@dataclass
class _Beat:
    """What the encounter generator needs of one program, precomputed."""

    spec: ProgramSpec
    sources: list[str]
    team: list[int]
    midnights: list[datetime.datetime]  # local midnights of the last 365 days, UTC
    locations: list[str]


def _beats(
    latest: datetime.datetime, navigators: dict[str, list[int]]
) -> dict[str, _Beat]:
    beats = {}
    for spec in PROGRAMS:
        tz = zoneinfo.ZoneInfo(spec.time_zone)
        today = latest.astimezone(tz).date()
        midnights = [
            datetime.datetime.combine(
                today - datetime.timedelta(days=d), datetime.time(), tzinfo=tz
            ).astimezone(datetime.UTC)
            for d in range(365)
        ]
        locations = [
            f"{place}, {city}" for place in spec.places for city in spec.jurisdictions
        ] + [
            f"{block}00 block of {street}, {city}"
            for block in range(1, 30)
            for street in spec.streets
            for city in spec.jurisdictions
        ]
        beats[spec.slug] = _Beat(
            spec=spec,
            sources=_table(SOURCES[spec.response_model]),
            team=navigators[spec.slug],
            midnights=midnights,
            locations=locations,
        )
    return beats


def generate_encounters(
    *,
    count: int,
    seed: int,
    now: datetime.datetime,
    people: Sequence[PersonSeed],
    navigators: dict[str, list[int]],
) -> Iterator[tuple[int, dict[str, Any], list[int]]]:
    """``(key, values, responder ids)`` for ``count`` encounters in the year
    before ``now``, none in the future.

    People are drawn by weight, so a few (the "familiar faces") have many
    contacts; about 7 % of encounters are unidentified. The stream is
    deterministic: a top-up regenerates it and keeps the keys that are missing.
    This loop runs a million times for the benchmark, hence the lookup tables
    and inlined picks (``seq[int(rand() * len)]``).
    """
    rng = random.Random(f"navigator-seed:{seed}:encounters")  # noqa: S311 - ditto
    rand = rng.random
    now = now.astimezone(datetime.UTC)
    latest = now - datetime.timedelta(minutes=10)
    beats = _beats(latest, navigators)
    programs = [beats[PROGRAMS[int(i)].slug] for i in _table(_SHARES)]
    # Time of day in minutes after local midnight, weighted by hour. (On the
    # two daylight-saving days a year the local hour is off by one.)
    day_minutes = [
        datetime.timedelta(minutes=int(h) * 60 + m)
        for h in _table(HOURS, size=240)
        for m in range(0, 60, 6)
    ]
    delays = [datetime.timedelta(minutes=m) for m in range(400)]
    concerns_t, dispositions = _table(CONCERNS), _table(DISPOSITIONS)
    # Minutes engaged: log-normal, median about half an hour.
    minutes_t = [
        max(5, min(240, int(math.exp(3.4 + 0.6 * rng.gauss(0, 1)))))
        for _ in range(1000)
    ]
    who = [w.replace("_", " ") for w in WHO]
    cum: list[int] = []
    total = 0
    for person in people:
        total += person.weight
        cum.append(total)
    # Pre-serialised JSON: dumping a small list per row costs more than the
    # rest of the row.
    roster = [
        {"name": f"Ofc. {chr(65 + (7 * i) % 26)}. {name}", "badge": str(1000 + 37 * i)}
        for i, name in enumerate(OFFICERS)
    ]
    crew = [_json([a]) for a in roster] * 3 + [
        _json([a, b]) for a in roster for b in roster if a is not b
    ][:: max(1, len(roster) // 2)]
    concern_json: dict[tuple[str, ...], str] = {}
    narratives: dict[tuple[str, str, str], str] = {}
    n_programs, n_days, n_minutes = len(programs), 365, len(day_minutes)
    n_concerns, n_dispositions, n_crew = len(concerns_t), len(dispositions), len(crew)
    dispatched = ResponseModel.MHP_DISPATCHED
    for key in range(1, count + 1):
        if not people or rand() < 0.07:
            person = None
            beat = programs[int(rand() * n_programs)]
        else:
            person = people[bisect.bisect(cum, rand() * total)]
            beat = beats[person.program]
        spec = beat.spec
        started = (
            beat.midnights[int(rand() * n_days)] + day_minutes[int(rand() * n_minutes)]
        )
        if started > latest:
            started -= ONE_DAY
        minutes = minutes_t[int(rand() * 1000)]
        model = spec.response_model
        source = beat.sources[int(rand() * len(beat.sources))]
        concern = concerns_t[int(rand() * n_concerns)]
        concerns: tuple[str, ...] = (concern,)
        if rand() < 0.35:
            extra = concerns_t[int(rand() * n_concerns)]
            if extra != concern:
                concerns = (concern, extra)
        concerns_text = concern_json.get(concerns)
        if concerns_text is None:
            concerns_text = concern_json[concerns] = _json(list(concerns))
        disposition = dispositions[int(rand() * n_dispositions)]
        narrative = narratives.get((source, concern, disposition))
        if narrative is None:
            narrative = narratives[source, concern, disposition] = (
                f"{SOURCE_TEXT[source]}: {CONCERN_TEXT[concern]}. "
                f"{DISPOSITION_TEXT[disposition]}"
            )
        backup = rand() < (0.06 if model == dispatched else 0.03)
        officers = "[]"
        if model != dispatched or backup:
            officers = crew[int(rand() * n_crew)]
        team = beat.team
        author = team[int(rand() * len(team))]
        responders = [author]
        if rand() < 0.3:
            other = team[int(rand() * len(team))]
            if other != author:
                responders.append(other)
        lat = lon = None
        if rand() < 0.6:
            lat = f"{spec.centre[0] + (rand() - 0.5) * 0.08:.6f}"
            lon = f"{spec.centre[1] + (rand() - 0.5) * 0.08:.6f}"
        description = ""
        if person is None:
            description = f"{who[int(rand() * len(who))]}, {_pick(spec.places, rand)}"
        created = started + delays[minutes + 5 + int(rand() * 115)]
        if created > now:
            created = now
        values = {
            "program_id": spec.slug,  # the program's id at load time
            "person_id": None if person is None else person.key,  # ditto
            "unidentified_description": description,
            "started_at": started,
            "minutes_engaged": minutes,
            "location_text": beat.locations[int(rand() * len(beat.locations))],
            "latitude": lat,
            "longitude": lon,
            "source": source,
            "response_model": model,
            "cad_number": f"{ENCOUNTER_KEY}{key:07d}",
            "officers": officers,
            "concerns": concerns_text,
            "narrative": narrative,
            "disposition": disposition,
            "diverted": disposition != "arrested"
            and rand() < (0.3 if disposition in DIVERTING else 0.05),
            "police_backup_needed": backup,
            "created_at": created,
            "created_by_id": author,
            "updated_at": created,
        }
        yield key, values, responders


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


class BulkLoader:
    """Inserts rows of plain values: COPY on PostgreSQL, bulk_create elsewhere.

    A row is a dict by attname, every row with the same keys in the same
    order; JSON fields hold JSON text (COPY takes it as it is). Fields a row
    leaves out get their default.
    """

    def __init__(self, progress: Progress | None = None) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.progress = progress or Progress(enabled=False)

    def take_ids(self, model: type[models.Model], n: int) -> list[int]:
        """``n`` fresh primary keys, so children can point at rows before COPY."""
        if n <= 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                # nextval() keeps ids unique even while the app inserts too.
                # The sequence is looked up once: per row it costs 10x more.
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                    [sequence, n],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: the seed is one write transaction (BEGIN IMMEDIATE), so no
            # one takes ids meanwhile; never reuse an AUTOINCREMENT id.
            qn = connection.ops.quote_name(table)
            # The table name comes from the model, not from input.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {qn}")  # noqa: S608
            top = cursor.fetchone()[0]
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name = %s", [table]
                )
                row = cursor.fetchone()
                top = max(top, row[0] if row else 0)
        return list(range(top + 1, top + 1 + n))

    def insert(self, model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
        """Insert every row; returns how many."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        columns = list(first)
        json_fields = {
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.JSONField)
        }
        if not self.postgres:
            return self._bulk_create(model, first, rows, json_fields)
        defaults = {}
        for f in model._meta.concrete_fields:
            if f.attname not in columns and not f.primary_key:
                value = f.get_default()
                if f.attname in json_fields:
                    value = _json(value)
                elif isinstance(value, str):
                    value = str.__str__(value)  # a TextChoices member as plain text
                defaults[f.column] = value
        qn = connection.ops.quote_name
        names = ", ".join(qn(model._meta.get_field(c).column) for c in columns)
        names += "".join(f", {qn(c)}" for c in defaults)
        tail = tuple(defaults.values())
        count = 1
        with connection.cursor() as cursor:
            sql = f"COPY {qn(model._meta.db_table)} ({names}) FROM STDIN"
            with cursor.copy(sql) as copy:
                write = copy.write_row
                write((*first.values(), *tail))
                for row in rows:
                    write((*row.values(), *tail))
                    count += 1
        return count

    @staticmethod
    def _bulk_create(
        model: type[models.Model],
        first: dict[str, Any],
        rows: Iterator[dict[str, Any]],
        json_fields: set[str],
        batch_size: int = 1000,
    ) -> int:
        count = 0
        batch: list[models.Model] = []
        for values in itertools.chain((first,), rows):
            for name in json_fields & values.keys():
                values[name] = json.loads(values[name])
            batch.append(model(**values))
            if len(batch) == batch_size:
                model._default_manager.bulk_create(batch)
                count += len(batch)
                batch = []
        model._default_manager.bulk_create(batch)
        return count + len(batch)

    @contextmanager
    def bulk_mode(self, loads: Sequence[tuple[type[models.Model], int]]):
        """For big loads on PostgreSQL: no per-row foreign-key triggers and
        no per-row index upkeep; keys and indexes come back afterwards.

        PostgreSQL's advice for bulk loads ("Populating a Database": remove
        indexes, remove foreign key constraints). Re-adding a key checks all
        rows in one join instead of one deferred trigger per row at commit
        (~50 s for a million encounters here); building an index once beats
        updating it row by row when the load outgrows what is there. It all
        happens in the seed's transaction, so a failure rolls the schema back
        with the data. Meanwhile the loaded tables and the tables their keys
        point at (users, programs) are locked - nobody can sign in until the
        seed commits - which is why small loads (``make run``, top-ups) do not
        do this.
        """
        rows = {m._meta.db_table: n for m, n in loads if n > BULK_MODE_ABOVE}
        tables = list(rows)
        if not self.postgres or not tables:
            yield
            return
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' "
                "AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
                [tables],
            )
            keys = cursor.fetchall()
            # Plain indexes only: primary keys, unique indexes and indexes
            # behind constraints keep guarding the data during the load.
            cursor.execute(
                "SELECT t.relname, t.reltuples, i.indexrelid::regclass::text, "
                "pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE i.indrelid = ANY(%s::regclass[]) "
                "AND NOT i.indisunique AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conindid = i.indexrelid) ORDER BY 1, 3",
                [tables],
            )
            # Rebuilding pays only when the load outgrows the table (reltuples
            # is an estimate, -1 if never analysed).
            indexes = [
                (index, definition)
                for table, present, index, definition in cursor.fetchall()
                if present < rows[table]
            ]
            for table, name, _ in keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
            for index, _ in indexes:
                cursor.execute(f"DROP INDEX {index}")
        yield
        steps = len(indexes) + len(keys)
        with (
            self.progress.phase("indexes, keys", total=steps, unit="steps") as bar,
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
                bar.update(1)
            for table, name, definition in keys:
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}"
                )
                bar.update(1)


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------


@dataclass
class SeedResult:
    programs: int
    users: int
    people: int = 0  # seeded people now in the database
    encounters: int = 0  # seeded encounters now in the database
    people_added: int = 0
    aliases_added: int = 0
    contacts_added: int = 0
    encounters_added: int = 0
    responders_added: int = 0
    familiar_faces: dict[str, dict] = field(default_factory=dict)  # per program
    followups: int = 0  # demo follow-ups the seed has scheduled, this run or before
    followups_added: int = 0
    # Per program, status -> how many of the follow-ups added by this run.
    followup_statuses: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def added_anything(self) -> bool:
        """Whether people or encounters were added: what the familiar-faces
        flags derive from. Follow-ups are counted apart (``followups_added``)."""
        return bool(self.people_added or self.encounters_added)


def _keys(values: Iterable[str], prefix: str) -> set[int]:
    return {int(v[len(prefix) :]) for v in values if v[len(prefix) :].isdigit()}


def seed_demo(
    *,
    people: int = DEFAULT_PEOPLE,
    encounters: int = DEFAULT_ENCOUNTERS,
    seed: int = DEFAULT_SEED,
    password: str = DEFAULT_PASSWORD,
    now: datetime.datetime | None = None,
    progress: Progress | None = None,
) -> SeedResult:
    """Create or top up the demo programs, users, people and encounters,
    bring the programs' familiar-faces flags up to date, then schedule the
    demo follow-ups once."""
    if people < 0 or encounters < 0:
        raise ValueError("people and encounters must not be negative")
    progress = progress or Progress(enabled=False)
    now = now or timezone.now()
    result = _seed(
        people=people,
        encounters=encounters,
        seed=seed,
        password=password,
        now=now,
        progress=progress,
    )
    if result.added_anything:
        # After the load has committed: the flags are derived data, and a
        # failure here leaves a good seed that the nightly run completes.
        result.familiar_faces = familiar_faces_refresh(progress=progress)
    # Last, in a transaction of its own: it runs on every call (a no-op once
    # done), so a failure here is retried by the next seed_demo and leaves
    # the people, encounters and flags above complete.
    seeded = followups_seed(seed=seed, now=now, progress=progress)
    result.followups, result.followups_added, result.followup_statuses = seeded
    return result


def familiar_faces_refresh(*, progress: Progress) -> dict[str, dict]:
    """Evaluate the demo programs' familiar-faces rules now.

    Encounters logged through encounter_log queue this person by person; the
    seed bypasses that, so it runs the set-based evaluation per program, as
    ``manage.py evaluate_familiar_faces`` does.
    """
    from cases.familiar import evaluation
    from cases.familiar import services as familiar

    stats = {}
    programs = Program.objects.filter(slug__in=[p.slug for p in PROGRAMS])
    with progress.phase("familiar faces", total=len(PROGRAMS), unit="programs") as bar:
        for program in programs.order_by("slug"):
            familiar.rules_ensure_default(program=program)
            stats[program.slug] = evaluation.evaluate_program(program)
            bar.update(1)
    return stats


@transaction.atomic
def _seed(
    *,
    people: int,
    encounters: int,
    seed: int,
    password: str,
    now: datetime.datetime,
    progress: Progress,
) -> SeedResult:
    loader = BulkLoader(progress)
    programs = _ensure_programs()
    users = _ensure_users(programs, password)
    program_ids = {slug: p.pk for slug, p in programs.items()}
    result = SeedResult(programs=len(programs), users=len(users))

    seeded_people = dict(
        Person.objects.filter(
            program_id__in=program_ids.values(), external_id__startswith=PERSON_KEY
        )
        .order_by()
        .values_list("external_id", "pk")
    )
    person_ids = {
        int(ext[len(PERSON_KEY) :]): pk
        for ext, pk in seeded_people.items()
        if ext[len(PERSON_KEY) :].isdigit()
    }
    seeded_encounters = _keys(
        Encounter.objects.filter(
            program_id__in=program_ids.values(), cad_number__startswith=ENCOUNTER_KEY
        )
        .order_by()
        .values_list("cad_number", flat=True),
        ENCOUNTER_KEY,
    )
    missing_people = sum(1 for k in range(1, people + 1) if k not in person_ids)
    missing_encounters = sum(
        1 for k in range(1, encounters + 1) if k not in seeded_encounters
    )
    plan: list[PersonSeed] = []
    if missing_people or missing_encounters:
        plan = generate_people(count=people, seed=seed, now=now)
    loads = [
        (Person, missing_people),
        (Encounter, missing_encounters),
        (Encounter.navigators.through, missing_encounters),
    ]
    with loader.bulk_mode(loads):
        _load_people(plan, person_ids, program_ids, loader, progress, result)
        if missing_encounters:
            _load_encounters(
                count=encounters,
                missing=missing_encounters,
                existing=seeded_encounters,
                seed=seed,
                now=now,
                plan=plan,
                person_ids=person_ids,
                program_ids=program_ids,
                loader=loader,
                progress=progress,
                result=result,
            )
    result.people = len(seeded_people) + result.people_added
    result.encounters = len(seeded_encounters) + result.encounters_added
    if result.added_anything:
        if loader.postgres:
            # Fresh planner statistics, so the first pages after a big seed do
            # not wait for autovacuum to notice a million new rows.
            with progress.phase("analyze"), connection.cursor() as cursor:
                tables = (Person, Alias, FamilyContact, Encounter)
                names = [m._meta.db_table for m in tables]
                names.append(Encounter.navigators.through._meta.db_table)
                cursor.execute(f"ANALYZE {', '.join(names)}")
        AuditEvent.objects.create(
            actor=None,
            action=AuditAction.CREATE,
            object_type="seed",
            object_id=str(seed),
            program=programs["demo"],
            changes={
                "people": [len(seeded_people), result.people],
                "encounters": [len(seeded_encounters), result.encounters],
                "aliases": [None, result.aliases_added],
                "family_contacts": [None, result.contacts_added],
            },
            reason="seed_demo: synthetic demo data, loaded in bulk without an "
            "audit event per row",
            request_id=request_id_var.get(),
            source=source_var.get() or "command",
        )
    return result


def _navigators(program_ids: dict[str, int]) -> dict[str, list[int]]:
    """The responders of each program: its seeded navigators."""
    out = {}
    for spec in PROGRAMS:
        names = [u[0] for u in spec.users if u[1] == Role.NAVIGATOR]
        out[spec.slug] = list(
            User.objects.filter(username__in=names)
            .order_by("username")
            .values_list("pk", flat=True)
        )
    return out


def _counted(rows: Iterable[Any], bar: Any, every: int = 1000) -> Iterator[Any]:
    """Rows, advancing the bar every ``every`` rows (cheap on the hot path)."""
    n = 0
    for row in rows:
        yield row
        n += 1
        if n == every:
            bar.update(n)
            n = 0
    bar.update(n)


def _load_people(
    plan: list[PersonSeed],
    person_ids: dict[int, int],
    program_ids: dict[str, int],
    loader: BulkLoader,
    progress: Progress,
    result: SeedResult,
) -> None:
    """Insert the planned people who are missing; fills ``person_ids``."""
    new = [p for p in plan if p.key not in person_ids]
    for person, pk in zip(new, loader.take_ids(Person, len(new)), strict=True):
        person_ids[person.key] = pk
    rows = (
        {
            **p.values,
            "program_id": program_ids[p.program],
            "id": person_ids[p.key],
        }
        for p in new
    )
    with progress.phase("people", total=len(new), unit="people") as bar:
        result.people_added = loader.insert(Person, _counted(rows, bar))
    aliases = [
        {"person_id": person_ids[p.key], "name": name, "kind": kind}
        for p in new
        for name, kind in p.aliases
    ]
    with progress.phase("aliases", total=len(aliases), unit="aliases") as bar:
        result.aliases_added = loader.insert(Alias, _counted(aliases, bar))
    contacts = [
        {"person_id": person_ids[p.key], **contact}
        for p in new
        for contact in p.contacts
    ]
    with progress.phase("contacts", total=len(contacts), unit="contacts") as bar:
        result.contacts_added = loader.insert(FamilyContact, _counted(contacts, bar))


def _load_encounters(
    *,
    count: int,
    missing: int,
    existing: set[int],
    seed: int,
    now: datetime.datetime,
    plan: list[PersonSeed],
    person_ids: dict[int, int],
    program_ids: dict[str, int],
    loader: BulkLoader,
    progress: Progress,
    result: SeedResult,
) -> None:
    # Ids first: the responder rows need them, and no query can run while
    # the encounters stream through COPY.
    ids = iter(loader.take_ids(Encounter, missing))
    navigators = _navigators(program_ids)
    links: list[dict[str, int]] = []

    def rows() -> Iterator[dict[str, Any]]:
        stream = generate_encounters(
            count=count, seed=seed, now=now, people=plan, navigators=navigators
        )
        for key, values, responders in stream:
            if key in existing:
                continue
            pk = next(ids)
            values["id"] = pk
            values["program_id"] = program_ids[values["program_id"]]
            if values["person_id"] is not None:
                values["person_id"] = person_ids[values["person_id"]]
            links.extend({"encounter_id": pk, "user_id": u} for u in responders)
            yield values

    with progress.phase("encounters", total=missing, unit="encounters") as bar:
        result.encounters_added = loader.insert(Encounter, _counted(rows(), bar))
    through = Encounter.navigators.through
    with progress.phase("responders", total=len(links), unit="links") as bar:
        result.responders_added = loader.insert(through, _counted(links, bar))


# --------------------------------------------------------------------------
# Follow-ups
# --------------------------------------------------------------------------

# AuditEvent.object_type of the record that the follow-up step has run.
FOLLOWUPS_MARKER = "seed_followups"
# Follow-ups go to the people of this many latest identified encounters of
# each program (fewer people: some are met more than once).
FOLLOWUP_POOL = 200
# A follow-up is linked to the person's last encounter before it was due, if
# that encounter is this recent (older visits are not what it is about).
FOLLOWUP_LINK_WITHIN = datetime.timedelta(days=30)
# Wall-clock times for "later today"; after the last of them has passed, the
# rest of the day is shared out evenly.
TODAY_TIMES = tuple(
    map(
        datetime.time.fromisoformat,
        _words("09:00 10:30 12:00 13:30 15:00 16:30 18:00 19:30 21:00"),
    )
)
# Who is assigned demo follow-ups (the managers schedule some for them).
FOLLOWING_UP = (Role.NAVIGATOR, Role.CASEWORKER)


@dataclass(frozen=True)
class FollowupSeed:
    """One demo follow-up, relative to today in the program's time zone."""

    days: int  # local days from today: < 0 past (overdue or history), 0 later today
    at: datetime.time | None  # local time; None: one of the rest of today's slots
    purpose: str
    method: str = Method.PHONE  # phone and text need a number, else in person
    priority: str = Priority.ROUTINE
    family: bool = False  # with a family contact the person agreed we contact
    remind_person: bool = False  # text the person too, if they agreed to texts
    by_manager: bool = False  # scheduled for the assignee by the program manager
    escalated: bool = False  # ``days`` is the program's escalation delay + 1
    close: str = ""  # a Status, reached through the services after scheduling
    outcome: str = ""  # of a completed one
    note: str = ""  # completion / missed notes, or why it was cancelled


def _t(hour: int, minute: int = 0) -> datetime.time:
    return datetime.time(hour, minute)


# The demo navigator's own list: every part of Today and of the manager's
# overdue page has something in it. Purposes are plain, with no health detail.
NAVIGATOR_FOLLOWUPS = (
    # Overdue: one by more than the escalation delay, the rest by 1-4 days.
    FollowupSeed(
        0, _t(9, 30), "Check in after crisis visit", Method.IN_PERSON,
        Priority.URGENT, escalated=True,
    ),
    FollowupSeed(-1, _t(15), "Check in after crisis visit", priority=Priority.URGENT),
    FollowupSeed(
        -2, _t(10, 30), "Check that they got to the shelter bed", Method.IN_PERSON
    ),
    FollowupSeed(-4, _t(11), "Update family on next steps", family=True),
    # Later today.
    FollowupSeed(0, None, "Confirm intake appointment at clinic", Method.TEXT),
    FollowupSeed(0, None, "Check in after crisis visit", priority=Priority.URGENT),
    FollowupSeed(0, None, "Drop off bus pass and resource list", Method.IN_PERSON),
    # The next seven days.
    FollowupSeed(1, _t(9, 30), "Update family on next steps", family=True),
    FollowupSeed(2, _t(10), "Check in at the usual spot", Method.IN_PERSON),
    FollowupSeed(
        3, _t(13, 30), "Confirm ride to the appointment", Method.TEXT,
        remind_person=True,
    ),
    FollowupSeed(4, _t(11), "Weekly check-in", by_manager=True),
    FollowupSeed(
        5, _t(15), "Help with the housing application", Method.IN_PERSON,
        Priority.URGENT,
    ),
    FollowupSeed(6, _t(10, 30), "Return call about replacing lost ID"),
    # Further out.
    FollowupSeed(14, _t(10), "Two-week check-in"),
    FollowupSeed(30, _t(11), "One-month check-in", family=True),
    # History: closed through the services, so the person's page and the
    # audit trail show outcomes.
    FollowupSeed(
        -6, _t(10), "Check in after crisis visit",
        close=Status.COMPLETED, outcome=Outcome.REACHED,
        note="Doing OK; has the clinic's number.",
    ),
    FollowupSeed(
        -8, _t(14), "Update family on next steps", family=True,
        close=Status.COMPLETED, outcome=Outcome.REACHED_NEEDS_HELP,
        note="Family asked for the support group list; sent it.",
    ),
    FollowupSeed(
        -10, _t(11), "Check that they got to the shelter bed", Method.IN_PERSON,
        close=Status.MISSED, note="Not at the shelter or the usual spot.",
    ),
    FollowupSeed(
        -12, _t(9, 30), "Confirm intake appointment at clinic", Method.TEXT,
        close=Status.COMPLETED, outcome=Outcome.LEFT_MESSAGE,
        note="Left a message with the appointment time.",
    ),
    FollowupSeed(
        3, _t(16), "Weekly check-in",
        close=Status.CANCELLED, note="Scheduled twice; the other one covers it.",
    ),
)  # fmt: skip

# Everyone else who follows up (navigators, caseworkers): a handful each, so
# the manager's page has a row per person and several overdue follow-ups.
TEAM_FOLLOWUPS = (
    FollowupSeed(-1, _t(10), "Check in after crisis visit"),
    FollowupSeed(
        -3, _t(14, 30), "Check that they got to the shelter bed", Method.IN_PERSON
    ),
    FollowupSeed(0, None, "Confirm intake appointment at clinic", Method.TEXT),
    FollowupSeed(2, _t(15), "Update family on next steps", family=True),
    FollowupSeed(
        5, _t(11, 30), "Check in at the usual spot", Method.IN_PERSON,
        Priority.URGENT, by_manager=True,
    ),
    FollowupSeed(21, _t(10), "Three-week check-in"),
    FollowupSeed(
        -7, _t(10), "Check in after crisis visit",
        close=Status.COMPLETED, outcome=Outcome.REACHED, note="Doing OK.",
    ),
)  # fmt: skip


@dataclass
class _Candidate:
    """A person whom the demo follow-ups may be for."""

    person: Person
    seen_by: int | None  # who logged their latest encounter
    contacts: list[FamilyContact]  # those the person agreed we may contact
    texts: bool  # they agreed to reminder texts and have a number
    uses: int = 0


def followups_seed(
    *, seed: int, now: datetime.datetime, progress: Progress
) -> tuple[int, int, dict[str, dict[str, int]]]:
    """Schedule the demo follow-ups, once.

    Through the follow-up services, as staff would: each is validated,
    audited on the person's trail and gets its reminders planned; some are
    then completed, marked missed or cancelled. Times are relative to ``now``
    in each program's zone. Returns (follow-ups the seed has scheduled,
    added by this call, per program the statuses of those added).

    Once: the step records itself with one audit event (FOLLOWUPS_MARKER) in
    its own transaction, and does nothing when that event exists. The audit
    log is append-only, so the mark cannot be edited away, and follow-ups that
    people scheduled by hand in a demo program (say after an older seed
    without this step) neither stop it nor are counted as the seed's. A
    purpose prefix or notes text would show on every page. A bigger
    ``--people`` later adds no follow-ups: the set is sized for the pages, not
    for the data. Until there are identified encounters to follow up, nothing
    is recorded, so the first run that has some schedules the set.
    """
    with transaction.atomic():
        # Locked, so two seeds at once cannot both find no mark (PostgreSQL;
        # SQLite's write transactions are serial anyway).
        demo = Program.objects.select_for_update().get(slug=PROGRAMS[0].slug)
        marker = (
            AuditEvent.objects.filter(object_type=FOLLOWUPS_MARKER, program=demo)
            .order_by("id")
            .first()
        )
        if marker is not None:
            return int(marker.changes.get("followups", [0, 0])[1]), 0, {}
        statuses = _followups_schedule(now=now, progress=progress)
        added = sum(sum(counts.values()) for counts in statuses.values())
        if added:
            AuditEvent.objects.create(
                actor=None,
                action=AuditAction.CREATE,
                object_type=FOLLOWUPS_MARKER,
                object_id=str(seed),
                program=demo,
                changes={"followups": [0, added]},
                reason="seed_demo: demo follow-ups, scheduled through the "
                "follow-up services (each audited on its own)",
                request_id=request_id_var.get(),
                source=source_var.get() or "command",
            )
    return added, added, statuses


def _followups_schedule(
    *, now: datetime.datetime, progress: Progress
) -> dict[str, dict[str, int]]:
    programs = {
        p.slug: p for p in Program.objects.filter(slug__in=[s.slug for s in PROGRAMS])
    }
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[u[0] for spec in PROGRAMS for u in spec.users]
        )
    }
    work = []
    for spec in PROGRAMS:
        team = [name for name, role, *_ in spec.users if role in FOLLOWING_UP]
        for i, name in enumerate(team):
            plan = NAVIGATOR_FOLLOWUPS if name == "navigator" else TEAM_FOLLOWUPS
            work.append((spec, users[name], i, plan))
    statuses: dict[str, dict[str, int]] = {}
    pools: dict[str, list[_Candidate]] = {}
    total = sum(len(plan) for *_, plan in work)
    with progress.phase("follow-ups", total=total, unit="follow-ups") as bar:
        for spec, user, index, plan in work:
            program = programs[spec.slug]
            if spec.slug not in pools:
                pools[spec.slug] = _followup_candidates(program, now)
            pool = pools[spec.slug]
            if pool:
                manager = next(
                    (
                        users[name]
                        for name, role, *_ in spec.users
                        if role == Role.PROGRAM_MANAGER
                    ),
                    user,
                )
                counts = statuses.setdefault(spec.slug, {})
                for status in _followups_for(
                    program, user, index, plan, pool, manager, now
                ):
                    counts[status] = counts.get(status, 0) + 1
            bar.update(len(plan))
    return statuses


def _followup_candidates(program: Program, now: datetime.datetime) -> list[_Candidate]:
    """The people of the program's latest identified encounters, latest first."""
    recent = (
        Encounter.objects.filter(
            program=program,
            person__isnull=False,
            person__deleted_at__isnull=True,
            deleted_at__isnull=True,
            started_at__lte=now,
        )
        .select_related("person")
        .order_by("-started_at", "-id")[:FOLLOWUP_POOL]
    )
    people: dict[int, _Candidate] = {}
    for encounter in recent:
        if encounter.person_id not in people:
            person = encounter.person
            person.program = program  # the services read it: no query each
            people[person.pk] = _Candidate(
                person=person,
                seen_by=encounter.created_by_id,
                contacts=[],
                texts=person_reminder_possible(person=person),
            )
    # followup_contacts_for's rule, for the whole pool in one query; the
    # service refuses a contact without the person's agreement all the same.
    contacts = FamilyContact.objects.filter(
        person_id__in=list(people), may_contact=True, deleted_at__isnull=True
    ).order_by("person_id", "id")
    for contact in contacts:
        people[contact.person_id].contacts.append(contact)
    return list(people.values())


def _followups_for(
    program: Program,
    user: User,
    index: int,
    plan: Sequence[FollowupSeed],
    pool: list[_Candidate],
    manager: User,
    now: datetime.datetime,
) -> Iterator[str]:
    """Schedule (and close) one staff member's follow-ups; yields their statuses."""
    escalate = followup_settings_for(program=program).escalate_after_days
    today = iter(
        _later_today(program, now, sum(1 for s in plan if s.at is None), shift=index)
    )
    # Team members' times differ a little, so their rows do not line up.
    shift = datetime.timedelta(minutes=20 * index)
    for item in plan:
        if item.at is None:
            due_at = next(today)
        else:
            at = (datetime.datetime.combine(datetime.date.min, item.at) + shift).time()
            days = -(escalate + 1) if item.escalated else item.days
            due_at = due_in_days(program=program, days=days, at=at, now=now)
        # What the item needs (a contact, consent to texts) first, then one
        # follow-up per person while there are people, then someone with a
        # number for calls and texts, then people this user met.
        candidate = min(
            pool,
            key=lambda c, item=item: (
                item.family and not c.contacts,
                item.remind_person and not c.texts,
                c.uses,
                item.method != Method.IN_PERSON and not c.person.phone,
                c.seen_by != user.pk,  # their own people first
            ),
        )
        candidate.uses += 1
        person = candidate.person
        contact = None
        if item.family and candidate.contacts:
            contact = candidate.contacts[candidate.uses % len(candidate.contacts)]
        method = item.method
        if method in (Method.PHONE, Method.TEXT) and not (contact or person).phone:
            method = Method.IN_PERSON
        encounter = (
            Encounter.objects.filter(
                person=person,
                deleted_at__isnull=True,
                started_at__lt=due_at,
                started_at__gte=due_at - FOLLOWUP_LINK_WITHIN,
            )
            .order_by("-started_at", "-id")
            .first()
        )
        followup = followup_schedule(
            by=manager if item.by_manager else user,
            person=person,
            due_at=due_at,
            method=method,
            assigned_to=user,
            contact=contact,
            purpose=item.purpose if contact or not item.family else "Weekly check-in",
            priority=item.priority,
            encounter=encounter,
            remind_person=item.remind_person and candidate.texts,
        )
        if item.close == Status.COMPLETED:
            followup = followup_complete(
                by=user, followup=followup, outcome=item.outcome, notes=item.note
            )
        elif item.close == Status.MISSED:
            followup = followup_mark_missed(by=user, followup=followup, notes=item.note)
        elif item.close == Status.CANCELLED:
            followup = followup_cancel(by=user, followup=followup, reason=item.note)
        yield followup.status


def _later_today(
    program: Program, now: datetime.datetime, n: int, *, shift: int = 0
) -> list[datetime.datetime]:
    """``n`` due times between ``now`` and the program's local midnight."""
    if n <= 0:
        return []
    tz = program.tz
    day = now.astimezone(tz).date()
    soon = now + datetime.timedelta(minutes=30)
    later = [
        t
        for t in (datetime.datetime.combine(day, at, tzinfo=tz) for at in TODAY_TIMES)
        if t >= soon
    ]
    if len(later) >= n:
        step = len(later) // n
        return [later[(i * step + shift) % len(later)] for i in range(n)]
    midnight = datetime.datetime.combine(day + ONE_DAY, datetime.time(), tzinfo=tz)
    span = midnight - now
    return [now + span * (i + 1) / (n + 1) for i in range(n)]
