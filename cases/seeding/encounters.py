"""Synthetic encounters: a year of them before ``now``, spread over the
programs, the hours of the day and the people (weighted, so a few are
familiar faces), as plain row values with their responders. Deterministic for
a given seed and ``now``."""

from __future__ import annotations

import bisect
import datetime
import math
import random
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cases.seeding.people import PersonSeed
from cases.seeding.specs import PROGRAMS, ProgramSpec
from cases.seeding.vocabulary import (
    _SHARES,
    CONCERN_TEXT,
    CONCERNS,
    DISPOSITION_TEXT,
    DISPOSITIONS,
    DIVERTING,
    HOURS,
    OFFICERS,
    SOURCE_TEXT,
    SOURCES,
    WHO,
    _pick,
    _table,
)
from navigator.bulk import _json
from navigator.models import ResponseModel

ENCOUNTER_KEY = "DEMO-"
ONE_DAY = datetime.timedelta(days=1)


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
    rng = random.Random(f"navigator-seed:{seed}:encounters")  # noqa: S311 - synthetic data
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
    for entry in people:
        total += entry.weight
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
