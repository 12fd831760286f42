"""Benchmark: the caseworker's referral board and the staff referral list at
200,000 referrals across 50 agencies, against hand-written SQL.

Run on a PostgreSQL scratch database seeded by bench_seed.py (``make bench``
runs that first); this script tops it up with
``seed_demo --agencies 50 --referrals 200000`` (the people and encounters
already there are kept: their numbers are read from the database):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nav_bench \
    .venv/bin/python tests/perf/bench_referrals.py [--runs 30] [--no-seed]

For the demo ``caseworker`` (the demo program's referrals, about 60% of
them), in this process, median of ``--runs`` after a warm-up:

- the board's first page: ``referrals.selectors.referral_list_for`` (the
  board's selector), its first 25 rows rendered as the board's rows in a
  Django template;
- the staff list at page size 100: the same selector and a DRF serializer of
  the fields ``/api/v1/referrals/`` shows, turned into JSON;
- each against the same page by hand: one SQL query of those rows and
  columns, encoded with orjson (json if orjson is missing); and their ratio
  (the aim is under 3x);
- the query count of the list at page sizes 10 and 100 (must be equal).

Until the board page (``referrals/``) and the referral API are on main, the
selector is what is measured (their views add the session, the filter form
and the pagination count); see docs/performance.md. Exits 1 if the query
counts differ.
"""

# The hand-written SQL is a constant of this file; values go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import os
import platform
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
BOARD_PAGE, API_PAGE = 25, 100
HAND_SQL = """
SELECT r.id, r.program_id, r.person_id,
       trim(coalesce(nullif(p.preferred_name, ''), p.first_name) || ' ' || p.last_name),
       a.id, a.slug, a.name, s.id, s.name, r.group_id, r.urgency,
       r.is_involuntary, r.status, nullif(r.outcome, ''), r.assigned_to_id,
       nullif(trim(u.first_name || ' ' || u.last_name), ''), u.username,
       r.respond_by, r.status = 'requested' AND r.respond_by < current_date,
       r.requested_at, r.responded_at, r.closed_at, r.created_at, r.updated_at
FROM referrals_referral r
JOIN cases_person p ON p.id = r.person_id
JOIN referrals_agency a ON a.id = r.agency_id
LEFT JOIN referrals_service s ON s.id = r.service_id
LEFT JOIN navigator_user u ON u.id = r.assigned_to_id
WHERE r.program_id IN ({programs}) AND p.deleted_at IS NULL
ORDER BY r.created_at DESC, r.id DESC
LIMIT %s
"""
COLUMNS = [
    "id",
    "program",
    "person",
    "person_display_name",
    "agency_id",
    "agency_slug",
    "agency_name",
    "service_id",
    "service_name",
    "group",
    "urgency",
    "is_involuntary",
    "status",
    "outcome",
    "assigned_to",
    "first_last",
    "username",
    "respond_by",
    "is_overdue",
    "requested_at",
    "responded_at",
    "closed_at",
    "created_at",
    "updated_at",
]
BOARD_TEMPLATE = """{% for r in rows %}<li class="list-group-item">
<a href="/referrals/{{ r.pk }}/">{{ r.person.display_name }}</a>
{{ r.agency.name }}{% if r.service %} · {{ r.service.name }}{% endif %}
<span class="badge">{{ r.get_status_display }}</span> {{ r.get_urgency_display }}
respond by {{ r.respond_by|date:"j M" }} · {{ r.assigned_to.get_full_name }}
</li>{% endfor %}"""


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
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")):
        sys.exit("Set DATABASE_URL=postgres://... (a seeded scratch database).")
    if not args.no_seed:
        seed()
    import django

    django.setup()
    from django.db import connection
    from django.template import engines
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from rest_framework import serializers

    from cases.models import Person
    from navigator.models import User
    from navigator.selectors import staff_program_ids_for
    from referrals.lifecycle import AWAITING_RESPONSE
    from referrals.models import Agency, Referral
    from referrals.selectors import referral_list_for

    class AgencyRef(serializers.Serializer):
        id = serializers.IntegerField()
        slug = serializers.CharField()
        name = serializers.CharField()

    class ServiceRef(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()

    class ReferralItem(serializers.ModelSerializer):
        # The fields of /api/v1/referrals/ items (referrals/api/serializers.py
        # on its branch), for the measurement until it is on main.
        program = serializers.IntegerField(source="program_id")
        person = serializers.IntegerField(source="person_id")
        person_display_name = serializers.CharField(source="person.display_name")
        agency = AgencyRef()
        service = ServiceRef(allow_null=True)
        group = serializers.IntegerField(source="group_id", allow_null=True)
        assigned_to = serializers.IntegerField(source="assigned_to_id")
        assigned_to_name = serializers.SerializerMethodField()
        is_overdue = serializers.SerializerMethodField()

        class Meta:
            model = Referral
            fields = [
                "id", "program", "person", "person_display_name", "agency",
                "service", "group", "urgency", "is_involuntary", "status",
                "outcome", "assigned_to", "assigned_to_name", "respond_by",
                "is_overdue", "requested_at", "responded_at", "closed_at",
                "created_at", "updated_at",
            ]  # fmt: skip

        def get_assigned_to_name(self, r: Referral) -> str | None:
            u = r.assigned_to
            return (u.get_full_name() or u.username) if u else None

        def get_is_overdue(self, r: Referral) -> bool:
            return bool(
                r.status in AWAITING_RESPONSE
                and r.respond_by is not None
                and r.respond_by < timezone.localdate()
            )

    user = User.objects.get(username="caseworker")
    programs = staff_program_ids_for(user=user)
    template = engines["django"].from_string(BOARD_TEMPLATE)

    def board() -> str:
        rows = list(referral_list_for(user=user)[:BOARD_PAGE])
        return template.render({"rows": rows})

    def api(size: int) -> bytes:
        rows = list(referral_list_for(user=user)[:size])
        return encode(ReferralItem(rows, many=True).data)

    def hand(size: int) -> bytes:
        with connection.cursor() as cursor:
            marks = ", ".join(["%s"] * len(programs))
            cursor.execute(HAND_SQL.format(programs=marks), [*programs, size])
            rows = cursor.fetchall()
        return encode([dict(zip(COLUMNS, row, strict=True)) for row in rows])

    counts = {}
    for size in (10, 100):
        with CaptureQueriesContext(connection) as ctx:
            api(size)
        counts[size] = len(ctx.captured_queries)
    board_s = timed(board, args.runs)
    board_hand_s = timed(lambda: hand(BOARD_PAGE), args.runs)
    api_s = timed(lambda: api(API_PAGE), args.runs)
    api_hand_s = timed(lambda: hand(API_PAGE), args.runs)
    total = Referral.objects.count()
    scoped = Referral.objects.filter(program_id__in=programs).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]
    from bench_seed import memory_gib

    print(f"machine:  {os.cpu_count()} cores, {memory_gib()} GiB, {platform.system()}")
    print(f"database: {server}")
    print(
        f"data:     {total:,} referrals across {Agency.objects.count()} agencies, "
        f"{Person.objects.count():,} people; the caseworker's program: {scoped:,}"
    )
    print(f"encoder:  {ENCODER}; median of {args.runs} runs after a warm-up")
    print(
        f"board first page ({BOARD_PAGE}, selector + template): "
        f"{board_s * 1000:.1f} ms vs hand SQL + {ENCODER} "
        f"{board_hand_s * 1000:.1f} ms = {board_s / board_hand_s:.2f}x"
    )
    print(
        f"list, page size {API_PAGE} (selector + DRF serializer + JSON): "
        f"{api_s * 1000:.1f} ms vs hand SQL + {ENCODER} "
        f"{api_hand_s * 1000:.1f} ms = {api_s / api_hand_s:.2f}x"
    )
    print(f"queries at page size 10: {counts[10]}, at 100: {counts[100]}")
    if counts[10] != counts[100]:
        print("FAIL: the query count grows with the page size")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
