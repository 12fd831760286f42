"""The demo directory: for each program 11-14 partner agencies of varied
kinds (a Part 2 behavioral-health clinic, housing, crisis stabilization,
detox, a walk-in clinic, a shelter, peer support, a food bank, legal aid ...)
with 1-4 services each, in the program's own cities, with 555 phone numbers
(555-0100 to 555-0199, the range set aside for fiction) and example.org
addresses; more, generated, for ``--agencies N``. On the ``demo`` program
``demo-clinic`` and ``demo-housing`` each get their partner user (``clinic``,
``housing``: an ``AgencyMember`` row; the partner membership comes with the
demo users, ``cases.seeding.specs``).

Idempotent: agencies are keyed by slug (``<program>-<key>``); a run creates
only the slugs that are missing, with their services, each audited, and
never rewrites one that exists (a manager may have edited it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.utils.text import slugify

from cases.seeding.specs import PROGRAMS, ProgramSpec
from navigator.audit import AuditEntry, audit_record, audit_records_bulk, snapshot
from navigator.bulk import BulkLoader
from navigator.models import AuditAction, Program, User
from referrals.models import (
    Accepting,
    Agency,
    AgencyKind,
    AgencyMember,
    Service,
)
from referrals.models import ServiceCategory as C

DIRECTORY_REASON = "seed_demo: demo directory"
# The region each program's agencies are named after.
REGIONS = {
    "demo": "Five Cities",
    "demo-oncall": "Lake County",
    "demo-crisis": "Front Range",
}
# What an agency's or a service's creation event records.
AGENCY_AUDITED = ("name", "slug", "kind", "city", "is_part2_program", "is_active")
SERVICE_AUDITED = ("agency_id", "name", "categories", "city", "accepting")
# Partner users of the demo program: username -> agency key.
PARTNER_USERS = {"clinic": "clinic", "housing": "housing"}

HOURS_24 = "Open 24 hours, 7 days a week"
OFFICE = "Mon-Fri 8:00-17:00"
LATE = "Mon-Fri 8:00-20:00; Sat 9:00-13:00"
WALK_IN = "Walk-in Mon-Sat 9:00-18:00"
EVENINGS = "Intake 17:00-21:00 daily; beds open at 18:00"


@dataclass(frozen=True)
class ServiceSeed:
    name: str
    categories: tuple[str, ...]
    hours: str
    description: str = ""
    eligibility: str = ""
    accepting: str = Accepting.YES
    capacity_note: str = ""
    languages: tuple[str, ...] = ("English", "Spanish")


@dataclass(frozen=True)
class AgencySeed:
    key: str  # slug = "<program slug>-<key>"
    name: str  # "{region}" and "{city}" filled in per program
    kind: str
    description: str
    services: tuple[ServiceSeed, ...]
    part2: bool = False


CATALOGUE: tuple[AgencySeed, ...] = (
    AgencySeed(
        "clinic",
        "{region} Behavioral Health Clinic",
        AgencyKind.CLINIC,
        "Outpatient mental health and substance-use treatment; "
        "a 42 CFR Part 2 program.",
        (
            ServiceSeed(
                "Outpatient mental health intake", (C.MENTAL_HEALTH,), LATE,
                "Assessment within 72 hours, then therapy and case management.",
                "Adults 18+ in the county.",
            ),
            ServiceSeed(
                "Medication-assisted treatment (MAT)",
                (C.SUBSTANCE_USE, C.MEDICATION), OFFICE,
                "Buprenorphine and naltrexone, same-week starts.",
                "Adults with opioid or alcohol use disorder.",
            ),
            ServiceSeed(
                "Intensive outpatient program", (C.SUBSTANCE_USE,), LATE,
                "Three evenings a week for eight weeks.",
                accepting=Accepting.WAITLIST, capacity_note="Waitlist about 2 weeks",
            ),
            ServiceSeed(
                "Psychiatric medication management",
                (C.MEDICATION, C.MENTAL_HEALTH), OFFICE,
            ),
        ),
        part2=True,
    ),
    AgencySeed(
        "housing",
        "{region} Housing Partners",
        AgencyKind.HOUSING,
        "Rapid rehousing, supportive housing and housing navigation.",
        (
            ServiceSeed(
                "Rapid rehousing", (C.HOUSING, C.CASE_MANAGEMENT), OFFICE,
                "Short-term rent help and a housing case manager.",
                "Literally homeless (HUD category 1).",
            ),
            ServiceSeed(
                "Permanent supportive housing", (C.HOUSING,), OFFICE,
                eligibility="Chronically homeless with a disabling condition.",
                accepting=Accepting.WAITLIST,
                capacity_note="Through coordinated entry",
            ),
            ServiceSeed(
                "Housing navigation", (C.HOUSING, C.CASE_MANAGEMENT), LATE,
                "Help with applications, documents and landlord outreach.",
            ),
        ),
    ),
    AgencySeed(
        "stabilization",
        "{region} Crisis Stabilization Unit",
        AgencyKind.CRISIS_CENTER,
        "Voluntary crisis stabilization, an alternative to the emergency room.",
        (
            ServiceSeed(
                "23-hour crisis stabilization",
                (C.CRISIS_STABILIZATION, C.MENTAL_HEALTH), HOURS_24,
                "Walk in or be brought by a co-responder team.",
                "Adults in a mental-health crisis, medically stable.",
                capacity_note="12 recliners",
            ),
            ServiceSeed(
                "Crisis residential beds", (C.CRISIS_STABILIZATION,), HOURS_24,
                "Up to 14 days.", capacity_note="16 beds",
            ),
        ),
    ),
    AgencySeed(
        "detox",
        "{city} Recovery Center",
        AgencyKind.DETOX,
        "Withdrawal management and a sobering center; a 42 CFR Part 2 program.",
        (
            ServiceSeed(
                "Medically monitored detox", (C.DETOX, C.SUBSTANCE_USE), HOURS_24,
                "3-7 day stays with nursing and a prescriber.",
                accepting=Accepting.WAITLIST, capacity_note="Call for a bed",
            ),
            ServiceSeed("Sobering center", (C.DETOX,), HOURS_24),
        ),
        part2=True,
    ),
    AgencySeed(
        "walk-in",
        "{city} Walk-In Clinic",
        AgencyKind.CLINIC,
        "Same-day mental health and primary care, no appointment needed.",
        (
            ServiceSeed(
                "Walk-in mental health clinic", (C.MENTAL_HEALTH,), WALK_IN,
            ),
            ServiceSeed("Primary care walk-in", (C.MEDICAL,), WALK_IN),
        ),
    ),
    AgencySeed(
        "shelter",
        "{city} Rescue Mission",
        AgencyKind.SHELTER,
        "Emergency shelter and a day center.",
        (
            ServiceSeed(
                "Emergency shelter beds", (C.SHELTER,), EVENINGS,
                eligibility="Adults; couples and pets welcome.",
                capacity_note="60 beds",
            ),
            ServiceSeed("Day center and showers", (C.SHELTER, C.FOOD), OFFICE),
        ),
    ),
    AgencySeed(
        "peers",
        "Peer Recovery Network of {region}",
        AgencyKind.PEER_SUPPORT,
        "Peer specialists with lived experience of recovery.",
        (
            ServiceSeed(
                "Peer support specialists", (C.PEER_SUPPORT,), LATE,
                "A peer meets the person within two days.",
            ),
            ServiceSeed(
                "Recovery community center", (C.PEER_SUPPORT, C.SUBSTANCE_USE),
                "Daily 10:00-19:00",
            ),
        ),
    ),
    AgencySeed(
        "food-bank",
        "{region} Food Bank",
        AgencyKind.FOOD,
        "Food pantry and mobile distribution.",
        (
            ServiceSeed("Food pantry", (C.FOOD,), "Tue, Thu 10:00-14:00; Sat 9:00-12:00"),
            ServiceSeed("Mobile food distribution", (C.FOOD, C.TRANSPORT), OFFICE),
        ),
    ),
    AgencySeed(
        "legal-aid",
        "{region} Legal Aid",
        AgencyKind.LEGAL,
        "Free civil legal help for people on low incomes.",
        (
            ServiceSeed("Eviction defense", (C.LEGAL, C.HOUSING), OFFICE),
            ServiceSeed(
                "Benefits advocacy", (C.LEGAL, C.BENEFITS), OFFICE,
                accepting=Accepting.WAITLIST,
            ),
        ),
    ),
    AgencySeed(
        "hospital",
        "{city} Community Hospital",
        AgencyKind.HOSPITAL,
        "Emergency department with a psychiatric emergency service.",
        (
            ServiceSeed(
                "Emergency psychiatric evaluation",
                (C.MENTAL_HEALTH, C.MEDICAL), HOURS_24,
            ),
        ),
    ),
    AgencySeed(
        "veterans",
        "{region} Veterans Resource Center",
        AgencyKind.OTHER,
        "Benefits, housing and peer help for veterans.",
        (
            ServiceSeed(
                "Veterans benefits and HUD-VASH housing",
                (C.VETERANS, C.HOUSING, C.BENEFITS), OFFICE,
                eligibility="Veterans of any discharge status.",
            ),
        ),
    ),
    AgencySeed(
        "youth-family",
        "{region} Youth and Family Services",
        AgencyKind.OTHER,
        "Crisis counseling for families and a youth drop-in center.",
        (
            ServiceSeed("Family crisis counseling", (C.YOUTH, C.MENTAL_HEALTH), LATE),
            ServiceSeed(
                "Youth drop-in center", (C.YOUTH,), "Mon-Fri 14:00-20:00",
                eligibility="Ages 12-24.",
            ),
        ),
    ),
    AgencySeed(
        "safe-harbor",
        "Safe Harbor Domestic Violence Services",
        AgencyKind.SHELTER,
        "Confidential shelter and advocacy for survivors of domestic violence.",
        (
            ServiceSeed("Confidential emergency shelter", (C.SHELTER,), HOURS_24),
            ServiceSeed("24-hour hotline and advocacy", (C.CASE_MANAGEMENT,), HOURS_24),
        ),
    ),
    AgencySeed(
        "benefits",
        "{region} Benefits Enrollment Center",
        AgencyKind.OTHER,
        "Help applying for health coverage, SNAP, SSI and SSDI.",
        (
            ServiceSeed("Medicaid and SNAP enrollment", (C.BENEFITS,), OFFICE),
            ServiceSeed(
                "SSI/SSDI application help (SOAR)",
                (C.BENEFITS, C.CASE_MANAGEMENT), OFFICE,
                accepting=Accepting.NO, capacity_note="Full until next month",
            ),
        ),
    ),
)  # fmt: skip
CATALOGUE_BY_KEY = {a.key: a for a in CATALOGUE}
# How many of the catalogue each program's directory has (10-15 agencies).
DIRECTORY_SIZE = {"demo": 14, "demo-oncall": 12, "demo-crisis": 11}
# Generated agencies beyond the catalogue (``--agencies N``) cycle through these.
GENERATED = ("clinic", "housing", "stabilization", "shelter", "peers", "walk-in")


def curated_count() -> int:
    """Agencies the directory has without ``--agencies``: all programs."""
    return sum(DIRECTORY_SIZE.get(spec.slug, len(CATALOGUE)) for spec in PROGRAMS)


@dataclass(frozen=True)
class PlannedAgency:
    slug: str
    program: str  # program slug
    template: AgencySeed
    index: int  # position in the program's directory (phones, addresses)
    number: int = 0  # generated agencies: their number, shown in the name


def directory_plan(*, agencies: int = 0) -> list[PlannedAgency]:
    """The directory: the catalogue for each program, then, up to
    ``agencies`` in all, generated ones shared among the programs in turn."""
    plan: list[PlannedAgency] = []
    for spec in PROGRAMS:
        size = DIRECTORY_SIZE.get(spec.slug, len(CATALOGUE))
        for i, template in enumerate(CATALOGUE[:size]):
            plan.append(
                PlannedAgency(f"{spec.slug}-{template.key}", spec.slug, template, i)
            )
    extra = max(0, agencies - len(plan))
    for n in range(1, extra + 1):
        spec = PROGRAMS[(n - 1) % len(PROGRAMS)]
        template = CATALOGUE_BY_KEY[GENERATED[(n - 1) % len(GENERATED)]]
        index = DIRECTORY_SIZE.get(spec.slug, len(CATALOGUE)) + (n - 1) // len(PROGRAMS)
        plan.append(
            PlannedAgency(f"{spec.slug}-partner-{n}", spec.slug, template, index, n)
        )
    return plan


def _phone(spec: ProgramSpec, index: int, offset: int = 0) -> str:
    area = spec.area_codes[index % len(spec.area_codes)]
    return f"({area}) 555-01{(index * 3 + offset) % 100:02d}"


def _agency(planned: PlannedAgency, spec: ProgramSpec) -> tuple[Agency, list[Service]]:
    t, i = planned.template, planned.index
    city_at = i % len(spec.jurisdictions)
    city = spec.jurisdictions[city_at]
    region = REGIONS.get(spec.slug, spec.name)
    name = t.name.format(region=region, city=city)
    if planned.number:
        name = f"{name} {planned.number}"
    street = spec.streets[i % len(spec.streets)]
    address = f"{100 + 37 * i} {street}"
    agency = Agency(
        name=name,
        slug=planned.slug,
        kind=t.kind,
        description=t.description,
        phone=_phone(spec, i),
        email=f"intake@{slugify(planned.slug)}.example.org",
        website=f"https://{planned.slug}.example.org",
        street_address=address,
        city=city,
        state=spec.state,
        postal_code=spec.postal_codes[city_at],
        is_part2_program=t.part2,
    )
    services = []
    for j, s in enumerate(t.services):
        lat, lng = spec.centre
        services.append(
            Service(
                agency=agency,
                name=s.name,
                description=s.description,
                categories=list(s.categories),
                eligibility=s.eligibility,
                languages=list(s.languages),
                street_address=address,
                city=city,
                state=spec.state,
                postal_code=spec.postal_codes[city_at],
                latitude=round(lat + ((i * 7 + j) % 11 - 5) * 0.004, 6),
                longitude=round(lng + ((i * 5 + j) % 13 - 6) * 0.004, 6),
                phone=_phone(spec, i, j + 1),
                hours=s.hours,
                accepting=s.accepting,
                capacity_note=s.capacity_note,
            )
        )
    return agency, services


@dataclass
class DirectoryResult:
    agencies: int = 0  # seeded agencies now in the database
    agencies_added: int = 0
    services_added: int = 0


def directory_seed(
    *, programs: dict[str, Program], agencies: int = 0
) -> DirectoryResult:
    """Create the planned agencies that are missing (with their services and
    program link), audited each; link the demo partner users to theirs.
    Runs inside the caller's transaction."""
    plan = directory_plan(agencies=agencies)
    existing = set(
        Agency.objects.filter(slug__in=[p.slug for p in plan]).values_list(
            "slug", flat=True
        )
    )
    specs = {spec.slug: spec for spec in PROGRAMS}
    new: list[tuple[PlannedAgency, Agency, list[Service]]] = []
    for planned in plan:
        if planned.slug not in existing:
            agency, services = _agency(planned, specs[planned.program])
            new.append((planned, agency, services))
    loader = BulkLoader()
    if new:
        loader.create([agency for _, agency, _ in new])
        services = []
        for _, agency, rows in new:
            for service in rows:
                service.agency_id = agency.pk
                services.append(service)
        loader.create(services)
        through = Agency.programs.through
        loader.insert(
            through,
            (
                {"agency_id": agency.pk, "program_id": programs[p.program].pk}
                for p, agency, _ in new
            ),
        )
        program_of = {agency.pk: programs[p.program].pk for p, agency, _ in new}
        entries = [
            AuditEntry(
                action=AuditAction.CREATE,
                obj=obj,
                person_id=None,
                program_id=program_of[
                    obj.pk if isinstance(obj, Agency) else cast(Service, obj).agency_id
                ],
                changes={
                    k: [None, v]
                    for k, v in snapshot(
                        obj,
                        AGENCY_AUDITED if isinstance(obj, Agency) else SERVICE_AUDITED,
                    ).items()
                },
                reason=DIRECTORY_REASON,
            )
            for obj in [*(a for _, a, _ in new), *services]
        ]
        audit_records_bulk(actor=None, entries=entries)
    _link_partner_users()
    return DirectoryResult(
        agencies=len(existing) + len(new),
        agencies_added=len(new),
        services_added=sum(len(s) for *_, s in new),
    )


def _link_partner_users() -> None:
    """``clinic`` acts for demo-clinic, ``housing`` for demo-housing."""
    demo = PROGRAMS[0].slug
    agencies = {
        a.slug: a
        for a in Agency.objects.filter(
            slug__in=[f"{demo}-{key}" for key in PARTNER_USERS.values()]
        )
    }
    users = {u.username: u for u in User.objects.filter(username__in=PARTNER_USERS)}
    agency_program = dict(
        Agency.programs.through.objects.filter(
            agency_id__in=[a.pk for a in agencies.values()]
        ).values_list("agency_id", "program_id")
    )
    for username, key in PARTNER_USERS.items():
        agency, user = agencies.get(f"{demo}-{key}"), users.get(username)
        if agency is None or user is None:
            continue
        member, created = AgencyMember.objects.get_or_create(
            user=user, defaults={"agency": agency, "is_active": True}
        )
        before = snapshot(member, ["agency_id", "is_active"])
        if not created and (member.agency_id != agency.pk or not member.is_active):
            member.agency, member.is_active = agency, True
            member.save(update_fields=["agency", "is_active"])
        elif not created:
            continue
        after = snapshot(member, ["agency_id", "is_active"])
        audit_record(
            actor=None,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=member,
            person_id=None,
            program_id=agency_program[agency.pk],
            changes={
                k: [None if created else before[k], v]
                for k, v in after.items()
                if created or before[k] != v
            },
            reason="seed_demo: the demo partner agency's user",
        )
