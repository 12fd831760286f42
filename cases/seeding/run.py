"""The seed run: ``seed_demo`` creates or tops up the programs, users, people
and encounters in one transaction (``_seed``), loads only the keys that are
missing, records one ``seed`` audit event, then refreshes the familiar-faces
flags and schedules the demo follow-ups (``followups_seed``)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.db import connection, models, transaction
from django.utils import timezone

from cases.models import Alias, Encounter, FamilyContact, Person
from cases.seeding.directory import directory_seed
from cases.seeding.encounters import ENCOUNTER_KEY, generate_encounters
from cases.seeding.followups import followups_seed
from cases.seeding.people import PERSON_KEY, PersonSeed, generate_people
from cases.seeding.referrals import DEFAULT_REFERRALS, referrals_seed
from cases.seeding.specs import PROGRAMS, _ensure_programs, _ensure_users
from cases.services.inputs import PersonData
from cases.services.people_bulk import PersonRow, people_upsert_bulk
from navigator.bulk import BulkLoader
from navigator.context import request_id_var, source_var
from navigator.models import AuditAction, AuditEvent, Program, Role, User
from navigator.progress import Progress

if TYPE_CHECKING:
    # For the annotations only: the evaluation is imported where it runs.
    from cases.familiar.evaluation import Stats

DEFAULT_PEOPLE = 300
DEFAULT_ENCOUNTERS = 2000
DEFAULT_SEED = 1
DEFAULT_PASSWORD = "navigator-demo"  # noqa: S105 - the documented demo password
SEED_BATCH = 5000
SEED_REASON = "seed_demo: synthetic demo person"
# What a seeded person's row gives people_upsert_bulk; the service derives the
# rest (search text, time stamps, SMS consent time).
SEED_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "dob_precision",
    "veteran_status",
    "primary_language",
    "phone",
    "email",
    "sms_consent",
    "housing_situation",
    "street_address",
    "city",
    "state",
    "postal_code",
    "location_notes",
    "safety_notes",
)


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
    familiar_faces: dict[str, Stats] = field(default_factory=dict)  # per program
    followups: int = 0  # demo follow-ups the seed has scheduled, this run or before
    followups_added: int = 0
    # Per program, status -> how many of the follow-ups added by this run.
    followup_statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    agencies: int = 0  # seeded agencies now in the database
    agencies_added: int = 0
    services_added: int = 0
    referrals: int = 0  # seeded referrals now in the database
    referrals_added: int = 0
    consents_added: int = 0
    # Status -> how many of the referrals added by this run.
    referral_statuses: dict[str, int] = field(default_factory=dict)

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
    agencies: int = 0,
    referrals: int = DEFAULT_REFERRALS,
) -> SeedResult:
    """Create or top up the demo programs, users, people and encounters and
    the directory (at least ``agencies`` agencies in all), bring the
    programs' familiar-faces flags up to date, schedule the demo follow-ups
    once, then add the demo referrals and consents up to ``referrals``."""
    if min(people, encounters, agencies, referrals) < 0:
        raise ValueError(
            "people, encounters, agencies and referrals must not be negative"
        )
    progress = progress or Progress(enabled=False)
    now = now or timezone.now()
    result = _seed(
        people=people,
        encounters=encounters,
        seed=seed,
        password=password,
        now=now,
        progress=progress,
        agencies=agencies,
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
    # Its own transaction too, for the same reason; keyed, so a failure is
    # topped up by the next run.
    made = referrals_seed(referrals=referrals, seed=seed, now=now, progress=progress)
    result.referrals, result.referrals_added = made.referrals, made.referrals_added
    result.consents_added = made.consents_added
    result.referral_statuses = made.statuses
    return result


def familiar_faces_refresh(*, progress: Progress) -> dict[str, Stats]:
    """Evaluate the demo programs' familiar-faces rules now.

    Encounters logged through encounter_log queue this person by person; the
    seed bypasses that, so it runs the set-based evaluation per program, as
    ``manage.py evaluate_familiar_faces`` does.
    """
    from cases.familiar import services as familiar

    stats: dict[str, Stats] = {}
    programs = Program.objects.filter(slug__in=[p.slug for p in PROGRAMS])
    with progress.phase("familiar faces", total=len(PROGRAMS), unit="programs") as bar:
        for program in programs.order_by("slug"):
            stats[program.slug] = familiar.familiar_faces_evaluate_program(
                program=program
            )
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
    agencies: int = 0,
) -> SeedResult:
    loader = BulkLoader(progress)
    programs = _ensure_programs()
    users = _ensure_users(programs, password)
    program_ids = {slug: p.pk for slug, p in programs.items()}
    result = SeedResult(programs=len(programs), users=len(users))
    with progress.phase("directory"):
        directory = directory_seed(programs=programs, agencies=agencies)
    result.agencies = directory.agencies
    result.agencies_added = directory.agencies_added
    result.services_added = directory.services_added

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
    loads: list[tuple[type[models.Model], int]] = [
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
            reason="seed_demo: what this run added (each person has its own "
            "event; encounters and contacts, synthetic, are loaded in bulk "
            "without one)",
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
    """Create the planned people who are missing, through the one write path
    for people (``people_upsert_bulk``: the person rules, an audit event
    each); fills ``person_ids``. Their family contacts follow in bulk."""
    new = [p for p in plan if p.key not in person_ids]
    programs = {p.pk: p for p in Program.objects.filter(pk__in=program_ids.values())}
    with progress.phase("people", total=len(new), unit="people") as bar:
        for slug, pk in program_ids.items():
            seeds = [p for p in new if p.program == slug]
            rows = [_person_row(p) for p in seeds]
            results = people_upsert_bulk(
                program=programs[pk],
                rows=rows,
                by=None,
                on_batch=bar.update,
                # Fewer round trips; nobody else writes the seed's people.
                batch_size=SEED_BATCH,
            )
            for seed, outcome in zip(seeds, results, strict=True):
                if outcome.person is None or outcome.outcome != "created":
                    raise RuntimeError(
                        f"seeded person {seed.key} not created: {outcome.message}"
                    )
                person_ids[seed.key] = outcome.person.pk
    result.people_added = len(new)
    result.aliases_added = sum(len(p.aliases) for p in new)
    contacts = [
        {"person_id": person_ids[p.key], **contact}
        for p in new
        for contact in p.contacts
    ]
    with progress.phase("contacts", total=len(contacts), unit="contacts") as bar:
        result.contacts_added = loader.insert(FamilyContact, _counted(contacts, bar))


def _person_row(seed: PersonSeed) -> PersonRow:
    values = seed.values
    data = cast(PersonData, {name: values[name] for name in SEED_FIELDS})
    data["gender"] = json.loads(values["gender"])
    data["race_ethnicity"] = json.loads(values["race_ethnicity"])
    return PersonRow(
        ref=seed.key,
        external_id=values["external_id"],
        data=data,
        aliases=seed.aliases,
        created_at=values["created_at"],
        reason=SEED_REASON,
    )


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
