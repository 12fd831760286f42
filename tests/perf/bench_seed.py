"""Benchmark: seed_demo at 100,000 people and 1,000,000 encounters.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nav_perf \
    .venv/bin/python tests/perf/bench_seed.py [--people N] [--encounters M]

Re-creates the database named in DATABASE_URL (it must be a scratch database:
its name has to contain "perf", "bench" or "scratch"), migrates it, then times
the real command, ``manage.py seed_demo --people 100000 --encounters 1000000``,
as a user runs it, and a second run with the same arguments (which must add
nothing). Prints both times and the row counts, and exits 1 if the first run
takes longer than the 3 minutes the foundation issue allows. The database is
left seeded, ready for the other benchmarks (e.g. bench_familiar_faces.py).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
BUDGET_SECONDS = 180
SCRATCH = re.compile(r"perf|bench|scratch")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--encounters", type=int, default=1_000_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL=postgres://.../nav_perf (a scratch database).")
    name = urlsplit(url).path.lstrip("/")
    if not SCRATCH.search(name):
        sys.exit(
            f"Refusing to re-create database {name!r}: use a scratch database "
            "whose name contains 'perf', 'bench' or 'scratch'."
        )
    recreate_database(url, name)
    manage("migrate", "--verbosity", "0")
    seed = [
        "seed_demo",
        "--people",
        str(args.people),
        "--encounters",
        str(args.encounters),
    ]
    # -v 2 adds a line with the time of each phase.
    first, output = timed([*seed, "--verbosity", "2"])
    print(output.strip())
    again, output = timed(seed)
    print(output.strip())
    counts, server = row_counts()
    print()
    print(f"date:       {datetime.date.today().isoformat()}")
    print(
        f"machine:    {os.cpu_count()} cores, {memory_gib()} GiB, {platform.system()}"
    )
    print(f"database:   {server}")
    print(f"command:    manage.py {' '.join(seed)}")
    print(f"first run:  {first:.1f} s (budget {BUDGET_SECONDS} s)")
    print(f"second run: {again:.1f} s (adds nothing)")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(f"peak memory of the command: {peak} MiB")
    for table, count in counts:
        print(f"  {table:28} {count:>10,}")
    if "nothing to add" not in output:
        print("FAIL: the second run added rows (seed_demo is not idempotent)")
        return 1
    if first > BUDGET_SECONDS:
        print(f"FAIL: over the {BUDGET_SECONDS} s budget")
        return 1
    return 0


def manage(*argv: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def timed(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    output = manage(*argv)
    return time.perf_counter() - start, output


def recreate_database(url: str, name: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        # Plain DROP: if someone is still connected it fails, rather than
        # cutting off their session.
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def row_counts() -> tuple[list[tuple[str, int]], str]:
    import psycopg

    tables = [
        "navigator_program",
        "navigator_user",
        "cases_person",
        "cases_alias",
        "cases_familycontact",
        "cases_encounter",
        "cases_encounter_navigators",
    ]
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        counts = [
            # count(*) always answers one row.
            (table, conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]  # noqa: S608 - fixed table names
            for table in tables
        ]
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]  # SHOW answers one row
    return counts, f"PostgreSQL {version}"


def memory_gib() -> int:
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
        return round(kib / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        return 0


if __name__ == "__main__":
    sys.exit(main())
