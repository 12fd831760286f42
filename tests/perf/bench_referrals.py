"""Benchmark: the caseworker's referral board and the staff referral list API
at 200,000 referrals across 50 agencies, against hand-written SQL.

Run on a PostgreSQL scratch database seeded by bench_seed.py (``make bench``
runs that first); this script tops it up with
``seed_demo --agencies 50 --referrals 200000`` (the people and encounters
already there are kept: their numbers are read from the database):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nav_bench \
    .venv/bin/python tests/perf/bench_referrals.py [--runs 30] [--no-seed]

In this process, through Django's test client (the whole request: the
middleware, the session, authentication, the view, the disclosure audit
insert, the template or the JSON), as the demo ``caseworker`` (the demo
program's referrals, about 60% of them), median of ``--runs`` after a
warm-up:

- ``GET /referrals/``, the board's first page (signed in with a session);
- ``GET /api/v1/referrals/?page_size=100`` (a bearer token);
- each against the same page by hand, in the same run: hand-written SQL of
  the rows and columns the response shows, and the bounded count it shows
  (``navigator.pagination``), encoded with orjson (json if orjson is
  missing); and their ratio (the issue's aim is under 3x);
- the query count of the API at page sizes 10 and 100, and of the board at
  10 and 100 rows a page (its page size patched): each pair must be equal.

Exits 1 if a query count grows with the page size or a response is not 200.
"""

# The hand-written SQL is a constant of this file; values go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "perf"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navigator.settings")

try:
    import orjson

    def encode(value: Any) -> bytes:
        return orjson.dumps(value)

    ENCODER = "orjson"
except ImportError:  # pragma: no cover - orjson is in the dev install
    import json

    def encode(value: Any) -> bytes:
        return json.dumps(value, default=str).encode()

    ENCODER = "json"

AGENCIES, REFERRALS = 50, 200_000
API_PAGE = 100
BOARD = "/referrals/"
API = "/api/v1/referrals/"
# What a board card or an API item shows of a referral: its row, the
# person's display name, the agency, the service, the assignee's name, the
# overdue flag (referrals.selectors.overdue_response).
COLUMNS = """
SELECT r.id, r.program_id AS program, r.person_id AS person,
       coalesce(nullif(trim(coalesce(nullif(p.preferred_name, ''), p.first_name)
                            || ' ' || p.last_name), ''), '(no name)')
           AS person_display_name,
       a.id AS agency_id, a.slug AS agency_slug, a.name AS agency_name,
       s.id AS service_id, s.name AS service_name, r.group_id AS "group",
       r.urgency, r.is_involuntary, r.status, nullif(r.outcome, '') AS outcome,
       r.assigned_to_id AS assigned_to,
       coalesce(nullif(trim(u.first_name || ' ' || u.last_name), ''), u.username)
           AS assigned_to_name,
       r.respond_by,
       r.status = 'requested' AND r.respond_by < current_date AS is_overdue,
       r.requested_at, r.responded_at, r.closed_at, r.created_at, r.updated_at
FROM referrals_referral r
JOIN cases_person p ON p.id = r.person_id
JOIN referrals_agency a ON a.id = r.agency_id
LEFT JOIN referrals_service s ON s.id = r.service_id
LEFT JOIN navigator_user u ON u.id = r.assigned_to_id
"""
# A deleted person's referrals are not listed: as NOT IN the few deleted
# people (the person_deleted index), which counts without a join per row.
SCOPE = (
    "r.program_id IN ({programs}) AND r.person_id NOT IN "
    "(SELECT id FROM cases_person WHERE deleted_at IS NOT NULL)"
)
ORDER = "ORDER BY r.created_at DESC, r.id DESC LIMIT %s"
# The board: its columns' statuses (one page of 25), the drafts and the
# recently closed (10 each), and the count it shows, as the view reads them.
BOARD_OPEN = ("requested", "accepted", "in-progress", "on-hold")
BOARD_FINAL = ("rejected", "completed", "cancelled", "failed", "entered-in-error")
COUNT = """
SELECT count(*) FROM (
  SELECT r.id FROM referrals_referral r WHERE {where} LIMIT 10001
) counted
"""


def timed(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm-up: the plan and the pages are cached, as in steady use
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def seed() -> None:
    import django

    django.setup()
    from cases.models import Encounter, Person

    people = Person.objects.filter(external_id__startswith="demo-").count()
    encounters = Encounter.objects.filter(cad_number__startswith="DEMO-").count()
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "seed_demo",
            "--people",
            str(people),
            "--encounters",
            str(encounters),
            "--agencies",
            str(AGENCIES),
            "--referrals",
            str(REFERRALS),
        ],
        cwd=ROOT,
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument(
        "--profile", choices=["board", "api"], help="cProfile one of them instead"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")):
        sys.exit("Set DATABASE_URL=postgres://... (a seeded scratch database).")
    if not args.no_seed:
        seed()
    # The deployment's settings (DEBUG off: the manifest of static files).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        check=True,
    )
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        # Statistics and visibility maps as autovacuum keeps them on a live
        # database (the seed's tables have neither until it runs, and this
        # server runs without it): plans and index-only scans as in use.
        cursor.execute("VACUUM (ANALYZE)")
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from cases.models import Person
    from navigator import views as navigator_views
    from navigator.models import User
    from navigator.selectors import staff_program_ids_for
    from navigator.services import api_token_create
    from referrals.models import Agency, Referral
    from referrals.views import board as board_view

    user = User.objects.get(username="caseworker")
    programs = staff_program_ids_for(user=user)
    marks = ", ".join(["%s"] * len(programs))
    scope = SCOPE.format(programs=marks)

    page_client = Client(HTTP_HOST="localhost")
    page_client.force_login(user)
    api_client = APIClient(HTTP_HOST="localhost")
    _, key = api_token_create(user=user, name="bench_referrals")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    def board() -> bytes:
        response = page_client.get(BOARD)
        assert response.status_code == 200, response.status_code
        return response.content

    def api(size: int = API_PAGE) -> bytes:
        response = api_client.get(API, {"page_size": size})
        assert response.status_code == 200, response.content[:300]
        return response.content

    def rows(cursor, where: str, params: list, limit: int) -> list[dict]:
        cursor.execute(f"{COLUMNS} WHERE {where} {ORDER}", [*params, limit])
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def count(cursor, where: str, params: list) -> int:
        cursor.execute(COUNT.format(where=where), params)
        return cursor.fetchone()[0]

    def board_by_hand() -> bytes:
        in_open = ", ".join(["%s"] * len(BOARD_OPEN))
        in_final = ", ".join(["%s"] * len(BOARD_FINAL))
        open_where = f"{scope} AND r.status IN ({in_open})"
        with connection.cursor() as cursor:
            page = rows(cursor, open_where, [*programs, *BOARD_OPEN], 25)
            drafts = rows(cursor, f"{scope} AND r.status = 'draft'", programs, 10)
            closed = rows(
                cursor,
                f"{scope} AND r.status IN ({in_final})",
                [*programs, *BOARD_FINAL],
                10,
            )
            counted = count(cursor, open_where, [*programs, *BOARD_OPEN])
        return encode(
            {
                "count": min(counted, 10_000),
                "count_capped": counted > 10_000,
                "page": page,
                "drafts": drafts,
                "closed": closed,
            }
        )

    def api_by_hand(size: int = API_PAGE) -> bytes:
        with connection.cursor() as cursor:
            results = rows(cursor, scope, programs, size)
            counted = count(cursor, scope, programs)
        return encode(
            {
                "count": min(counted, 10_000),
                "count_capped": counted > 10_000,
                "next": f"http://localhost{API}?page=2&page_size={size}",
                "previous": None,
                "results": results,
            }
        )

    def queries(fn: Callable[[], Any]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    def board_queries(per_page: int) -> int:
        paginate = functools.partial(navigator_views.paginate, per_page=per_page)
        with mock.patch.object(board_view, "paginate", paginate):
            return queries(board)

    board()
    api()  # the token's first use stamps it once
    if args.profile:
        import cProfile
        import pstats

        fn = board if args.profile == "board" else api
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.runs):
            fn()
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        return 0

    counts = {
        "api": {size: queries(functools.partial(api, size)) for size in (10, 100)},
        "board": {size: board_queries(size) for size in (10, 100)},
    }
    board_s = timed(board, args.runs)
    board_hand_s = timed(board_by_hand, args.runs)
    api_s = timed(api, args.runs)
    api_hand_s = timed(api_by_hand, args.runs)

    total = Referral.objects.count()
    scoped = Referral.objects.filter(program_id__in=programs).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]
    from bench_seed import memory_gib

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine:  {os.cpu_count()} cores, {memory_gib()} GiB, {platform.system()}")
    print(f"database: {server}")
    print(
        f"data:     {total:,} referrals across {Agency.objects.count()} agencies, "
        f"{Person.objects.count():,} people; the caseworker's programs: {scoped:,}"
    )
    print(f"encoder:  {ENCODER}; median of {args.runs} runs after a warm-up")
    print(f"load:     {load} (1, 5, 15 min) at the end")
    print(
        f"board, GET {BOARD}: {board_s * 1000:.1f} ms vs hand SQL + {ENCODER} "
        f"{board_hand_s * 1000:.1f} ms = {board_s / board_hand_s:.2f}x"
    )
    print(
        f"API, GET {API}?page_size={API_PAGE}: {api_s * 1000:.1f} ms vs hand SQL + "
        f"{ENCODER} {api_hand_s * 1000:.1f} ms = {api_s / api_hand_s:.2f}x"
    )
    for name, by_size in counts.items():
        print(f"{name} queries at page size 10: {by_size[10]}, at 100: {by_size[100]}")
    if any(by_size[10] != by_size[100] for by_size in counts.values()):
        print("FAIL: a query count grows with the page size")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
