"""The demo programs and their staff: three co-responder programs (places,
streets, phone area codes, share of the people) and the users of each, created
or updated by slug / username on every run."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from navigator.models import Membership, Program, ResponseModel, Role, User


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
            # Partner users of demo-clinic and demo-housing
            # (cases.seeding.directory links each to its agency): they sign
            # in and, until the partner issue, reach no staff data.
            ("clinic", Role.PARTNER, "Lena", "Hoang"),
            ("housing", Role.PARTNER, "Rosa", "Delgado"),
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
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@example.org",
                    "password": password_hash,
                    "is_active": True,
                    # The admin role alone opens the admin site
                    # (navigator.selectors.is_administrator); it is not a staff
                    # role, so no access to people's records. Not a superuser:
                    # the demo shows what the role may do.
                    "is_staff": False,
                    "is_superuser": False,
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
