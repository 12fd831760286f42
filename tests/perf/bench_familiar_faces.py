"""Benchmark: the full familiar-faces evaluation against one hand-written query.

Run on a PostgreSQL database seeded with seed_demo (100,000 people and
1,000,000 encounters for the figures in docs/performance.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nav_perf \
    .venv/bin/python tests/perf/bench_familiar_faces.py [--seed]

``--seed`` first runs ``seed_demo --people 100000 --encounters 1000000``.
It measures, for the program with the most encounters and its default rule
(4 encounters in 90 days): the hand-written SQL that computes the matching
set, the full evaluation (first run, which raises every flag, and steady-state
runs), their ratio, and the incremental evaluation of one person (median time
and query count). The program's flags are reset first.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navigator.settings")

HAND_SQL = """
SELECT e.person_id, count(*)
FROM cases_encounter e
JOIN cases_person p ON p.id = e.person_id
WHERE e.program_id = %s
  AND e.deleted_at IS NULL AND p.deleted_at IS NULL
  AND e.started_at >= %s AND e.started_at <= %s
GROUP BY e.person_id
HAVING count(*) >= %s
"""


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://… (a seeded database).")
    if args.seed:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True
        )
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "seed_demo",
                "--people",
                "100000",
                "--encounters",
                "1000000",
            ],
            cwd=ROOT,
            check=True,
        )
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from cases.familiar import evaluation, services
    from cases.models import (
        Encounter,
        FamiliarFaceFlag,
        FamiliarFacesMonthEntry,
        Person,
    )
    from navigator.models import Program

    total = Encounter.objects.count()
    people = Person.objects.count()
    top = (
        Encounter.objects.values("program_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert top is not None, "no encounters: seed first (bench_seed.py)"
    program = Program.objects.get(pk=top["program_id"])
    rule = services.rules_ensure_default(program=program)[0]
    FamiliarFacesMonthEntry.objects.filter(program=program).delete()
    FamiliarFaceFlag.objects.filter(program=program).delete()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    now = timezone.now()
    window = evaluation.window_for(rule, now)

    def hand():
        with connection.cursor() as cursor:
            cursor.execute(
                HAND_SQL, [program.pk, window.start, window.end, rule.min_encounters]
            )
            return cursor.fetchall()

    hand()  # warm the cache like the evaluation runs get
    sql_s, sql_rows = timed(hand, args.repeat)
    match_s, _ = timed(lambda: evaluation.matches(rule, now), args.repeat)
    first_start = time.perf_counter()
    evaluation.evaluate_program(program, now=now)
    first_s = time.perf_counter() - first_start
    flagged = set(
        FamiliarFaceFlag.objects.filter(program=program, status="active").values_list(
            "person_id", flat=True
        )
    )
    same = flagged == {row[0] for row in sql_rows}
    # Later runs as the nightly one sees them: the window has moved, so every
    # open flag's window is rewritten even where its encounters are the same.
    later = iter(range(1, args.repeat + 1))
    steady_s, _ = timed(
        lambda: evaluation.evaluate_program(
            program, now=now + datetime.timedelta(minutes=next(later))
        ),
        args.repeat,
    )

    ids = list(
        Person.objects.filter(program=program).values_list("id", flat=True)[:100_000]
    )
    sample = random.Random(7).sample(ids, min(200, len(ids)))
    times, queries = [], []
    for person_id in sample:
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            evaluation.evaluate_person(person_id, now=now)
            times.append(time.perf_counter() - start)
        queries.append(len(ctx.captured_queries))

    print(
        f"data: {people} people, {total} encounters; program {program.slug} "
        f"({top['n']} encounters); rule {rule.describe()}"
    )
    print(f"hand-written SQL: {sql_s * 1000:.0f} ms, {len(sql_rows)} people")
    print(
        f"full evaluation, first run (raises every flag): {first_s * 1000:.0f} ms "
        f"({first_s / sql_s:.2f}x)"
    )
    print(
        f"full evaluation, steady state (median of {args.repeat}): "
        f"{steady_s * 1000:.0f} ms ({steady_s / sql_s:.2f}x the SQL)"
    )
    print(
        f"its matching query alone (the set and each person's encounter ids): "
        f"{match_s * 1000:.0f} ms ({match_s / sql_s:.2f}x the SQL)"
    )
    print(f"same set as the SQL: {same}")
    print(
        f"incremental, one person (n={len(sample)}): median "
        f"{statistics.median(times) * 1000:.1f} ms, p95 "
        f"{sorted(times)[int(len(times) * 0.95) - 1] * 1000:.1f} ms, queries "
        f"median {statistics.median(queries):.0f} max {max(queries)}"
    )
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
