"""Synthetic people: names (the first few fixed, to exercise accent-insensitive
search), aliases, HMIS demographics, housing, contact details and family
contacts, as plain row values. Deterministic for a given seed and ``now``."""

from __future__ import annotations

import datetime
import functools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cases.seeding.specs import PROGRAMS, ProgramSpec
from cases.seeding.vocabulary import (
    _SHARES,
    CURATED,
    GENDERS,
    HOUSED,
    HOUSING,
    HOUSING_FAMILIAR,
    LANGUAGES,
    LOCATION_NOTES,
    MEN,
    NICKNAMES,
    RACES,
    RELATIONSHIPS,
    SAFETY_NOTES,
    STREET_NAMES,
    SURNAMES,
    VETERAN,
    WOMEN,
    _table,
)
from cases.text import normalize_name
from navigator.bulk import _json

PERSON_KEY = "demo-"


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
            # ASCII only, as Django's EmailValidator and the API schema's
            # "email" format want: "Søndergaard" gives "sndergaard".
            words = normalize_name(f"{first} {last}").encode("ascii", "ignore").split()
            local = b".".join(words).decode() or "person"
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
