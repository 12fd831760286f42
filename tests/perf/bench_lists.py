"""Benchmark: every staff list, API and page, over HTTP at 100k people / 1M encounters.

Run on a PostgreSQL database seeded by bench_seed.py (``seed_demo --people
100000 --encounters 1000000``; ``--seed`` here runs that first, into the
DATABASE_URL database, which must be a scratch one):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nav_perf \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/8 \
    .venv/bin/python tests/perf/bench_lists.py [--rounds 2] [--only people]

It collects the static files (the server runs with DEBUG off), starts gunicorn
with 4 sync workers on a free 127.0.0.1 port from this checkout (settings:
tests/perf/bench_settings.py, the deployment's less the per-user API
throttle, which two users at 16 clients would hit), signs in as
the demo ``navigator`` and ``manager`` through the login form, and for each
staff list API (people, encounters, followups, followups/deliveries,
familiar-faces) and list page (people, encounters, follow-ups, overdue,
deliveries, familiar faces, Today), as each of the two users who may see it:

- the median time of one request (sequential, after a warm-up), over HTTP;
- the same answer by hand: the hand-written SQL of that first page of 25
  (its rows with what the response shows of them, and a count of at most
  10,001 rows), turned into JSON with orjson, in this process; median;
- their ratio (the aim is under 3x);
- requests per second and the 95th percentile with 16 concurrent clients
  (threads, one connection each), for ``--duration`` seconds or
  ``--max-requests`` requests, whichever comes first; ``--rounds`` repeats
  this load to show the noise.

A first row, the people API with a filter nothing matches, shows what any
request costs before its list. ``--conn-max-age 60`` runs the server with
persistent database connections (``?conn_max_age=60`` on its DATABASE_URL;
Django's default opens one per request).

Everything is bounded: each load run stops at its duration or count, every
request times out after 60 s, and the server is stopped at the end. Nothing
is needed beyond the dev install (gunicorn, psycopg, orjson). Figures go in
docs/performance.md; ``--json FILE`` also writes them as JSON.
"""

# The hand-written SQL is put together from constants of this file; every
# value goes in as a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import orjson
import psycopg
from bench_seed import memory_gib

ROOT = Path(__file__).resolve().parents[2]
PAGE = 25
# The bound every list counts to (navigator.pagination.COUNT_LIMIT + 1): the
# hand-written answer counts as much as the response has to say.
COUNT_STOP = 10_001
TIMEOUT = 60

# --- the hand-written answers ---------------------------------------------------
# %(programs)s: the user's programs; %(managed)s: those they manage;
# %(user)s: their id. Each list is the SQL of its first page plus its bounded
# count (and, for the pages that show one, their summary query).

DISPLAY_NAME = (
    "trim(coalesce(nullif(p.preferred_name, ''), p.first_name) || ' ' || p.last_name)"
)
PERSON_LIVE = "p.program_id = ANY(%(programs)s) AND p.deleted_at IS NULL"
PEOPLE = f"""
SELECT p.id, p.program_id, p.external_id, {DISPLAY_NAME} AS display_name,
       p.first_name, p.middle_name, p.last_name, p.preferred_name,
       ARRAY(SELECT a.name FROM cases_alias a WHERE a.person_id = p.id
             ORDER BY a.name) AS aliases,
       p.date_of_birth, p.dob_precision,
       date_part('year', age(p.date_of_birth))::int AS age,
       p.gender, p.race_ethnicity, p.veteran_status, p.primary_language,
       p.phone, p.email, p.sms_consent, p.sms_consent_at, p.housing_situation,
       p.street_address, p.city, p.state, p.postal_code, p.location_notes,
       p.safety_notes, p.unparsed, p.created_at, p.updated_at
FROM cases_person p
WHERE {PERSON_LIVE}
ORDER BY p.last_name, p.first_name, p.id
LIMIT {PAGE}
"""
PEOPLE_COUNT = f"""
SELECT count(*) FROM (SELECT 1 FROM cases_person p WHERE {PERSON_LIVE}
LIMIT {COUNT_STOP}) s
"""


# Counts keep the rows of people not deleted without joining each row to its
# person: an anti-join on the (few) deleted ones.
def person_live(alias: str) -> str:
    return f"""NOT EXISTS (SELECT 1 FROM cases_person dp
                  WHERE dp.id = {alias}.person_id AND dp.deleted_at IS NOT NULL)"""


def encounters(programs: str, extra: str = "") -> list[str]:
    where = f"""
WHERE e.program_id = ANY(%({programs})s) AND e.deleted_at IS NULL {extra}"""
    return [
        f"""
SELECT e.id, e.program_id, e.person_id,
       CASE WHEN p.id IS NOT NULL THEN {DISPLAY_NAME} END AS person_display_name,
       e.unidentified_description, e.started_at, e.minutes_engaged,
       e.location_text, e.latitude, e.longitude, e.source, e.response_model,
       e.cad_number,
       ARRAY(SELECT n.user_id FROM cases_encounter_navigators n
             WHERE n.encounter_id = e.id ORDER BY n.user_id) AS navigators,
       e.officers, e.concerns, e.narrative, e.disposition, e.diverted,
       e.police_backup_needed, e.created_at, e.created_by_id, e.updated_at
FROM cases_encounter e LEFT JOIN cases_person p ON p.id = e.person_id
{where} AND (e.person_id IS NULL OR p.deleted_at IS NULL)
ORDER BY e.started_at DESC, e.id DESC
LIMIT {PAGE}""",
        f"""
SELECT count(*) FROM (SELECT 1 FROM cases_encounter e
{where} AND {person_live("e")} LIMIT {COUNT_STOP}) s""",
    ]


TODAY_EXTRA = """
  AND e.started_at >= now() - interval '14 days'
  AND (e.created_by_id = %(user)s OR EXISTS (
       SELECT 1 FROM cases_encounter_navigators n
       WHERE n.encounter_id = e.id AND n.user_id = %(user)s))"""
FOLLOWUPS_TODAY = """
SELECT f.id, f.due_at, f.method, f.purpose, f.status, f.person_id
FROM followups_followup f JOIN cases_person p ON p.id = f.person_id
WHERE f.assigned_to_id = %(user)s AND f.status = 'scheduled'
  AND f.program_id = ANY(%(programs)s) AND p.deleted_at IS NULL
  AND f.due_at < now() + interval '8 days'
ORDER BY f.due_at, f.id
"""


def followups(programs: str, extra: str = "") -> list[str]:
    where = f"WHERE f.program_id = ANY(%({programs})s) {extra}"
    return [
        f"""
SELECT f.id, f.program_id, f.person_id, {DISPLAY_NAME} AS person_display_name,
       f.encounter_id, f.due_at, f.assigned_to_id, f.method, f.purpose,
       f.priority, f.contact_id, c.name AS contact_name,
       c.relationship AS contact_relationship, f.remind_person, f.status,
       f.outcome, f.notes, f.completed_at, f.completed_by_id,
       f.cancelled_reason, f.created_at, f.updated_at,
       f.status = 'scheduled' AND f.due_at < now() AS overdue
FROM followups_followup f JOIN cases_person p ON p.id = f.person_id
LEFT JOIN cases_familycontact c ON c.id = f.contact_id
{where} AND p.deleted_at IS NULL
ORDER BY f.due_at, f.id
LIMIT {PAGE}""",
        f"""
SELECT count(*) FROM (SELECT 1 FROM followups_followup f
{where} AND {person_live("f")} LIMIT {COUNT_STOP}) s""",
    ]


OVERDUE = "AND f.status = 'scheduled' AND f.due_at < now()"
OVERDUE_BY_NAVIGATOR = f"""
SELECT f.assigned_to_id, u.first_name, u.last_name, u.username,
       count(*) AS overdue, min(f.due_at) AS oldest_due
FROM followups_followup f JOIN navigator_user u ON u.id = f.assigned_to_id
WHERE f.program_id = ANY(%(managed)s) AND f.status = 'scheduled'
  AND f.due_at < now() AND {person_live("f")}
GROUP BY f.assigned_to_id, u.first_name, u.last_name, u.username
ORDER BY overdue DESC, oldest_due
"""
DELIVERIES_WHERE = """
FROM followups_delivery d JOIN followups_reminder r ON r.id = d.reminder_id
WHERE r.program_id = ANY(%(managed)s)"""
DELIVERIES = [
    f"""
SELECT d.id, d.channel,
       left(d.recipient, 1) || '***' || right(d.recipient, 4) AS recipient,
       d.summary, d.status, d.provider_id, d.error, r.kind, r.attempts,
       r.followup_id, d.created_at, d.sent_at
{DELIVERIES_WHERE}
ORDER BY d.created_at DESC, d.id DESC
LIMIT {PAGE}""",
    f"SELECT count(*) FROM (SELECT 1 {DELIVERIES_WHERE} LIMIT {COUNT_STOP}) s",
]
DELIVERIES_FAILED = f"SELECT count(*) {DELIVERIES_WHERE} AND d.status = 'failed'"
FLAGS_WHERE = """
WHERE f.program_id = ANY(%(programs)s) AND f.status = 'active'"""


def top_items(column: str) -> str:
    """The 3 most frequent values of an encounter field over the flag's."""
    value = (
        "jsonb_array_elements_text(e.concerns)"
        if column == "concerns"
        else "e.disposition"
    )
    return f"""ARRAY(
       SELECT v FROM (SELECT {value} AS v FROM cases_encounter e
                      WHERE e.id IN (SELECT jsonb_array_elements_text(
                                     f.encounter_ids)::bigint)) x
       GROUP BY v ORDER BY count(*) DESC, v LIMIT 3)"""


FAMILIAR_FACES = [
    f"""
SELECT f.id, f.status, f.program_id, f.person_id,
       {DISPLAY_NAME} AS display_name, f.rule_id, r.name AS rule_name,
       r.min_encounters, r.window_days, f.encounter_count AS contacts,
       f.window_start, f.window_end,
       (SELECT count(*) FROM cases_encounter e
        WHERE e.person_id = f.person_id AND e.deleted_at IS NULL
          AND e.started_at >= f.window_start - (f.window_end - f.window_start)
          AND e.started_at < f.window_start) AS previous_contacts,
       (SELECT max(e.started_at) FROM cases_encounter e
        WHERE e.person_id = f.person_id AND e.deleted_at IS NULL) AS last_contact,
       {top_items("concerns")} AS top_concerns,
       {top_items("disposition")} AS dispositions,
       (SELECT count(*) FROM followups_followup o
        WHERE o.person_id = f.person_id AND o.status = 'scheduled'
          AND o.due_at < now()) AS overdue_followups,
       (SELECT en.navigator_id FROM cases_familiarfaceenrollment en
        WHERE en.person_id = f.person_id AND en.status = 'active') AS navigator
FROM cases_familiarfaceflag f JOIN cases_person p ON p.id = f.person_id
JOIN cases_familiarfacesrule r ON r.id = f.rule_id
{FLAGS_WHERE} AND p.deleted_at IS NULL
ORDER BY f.encounter_count DESC, p.last_name, p.first_name, f.id
LIMIT {PAGE}""",
    f"""
SELECT count(*) FROM (SELECT 1 FROM cases_familiarfaceflag f
{FLAGS_WHERE} AND {person_live("f")} LIMIT {COUNT_STOP}) s""",
]


@dataclass
class Target:
    name: str
    path: str
    users: tuple[str, ...]
    hand: list[str]


BOTH = ("navigator", "manager")
TARGETS = [
    # No rows: what every request costs before its list (sign-in, session,
    # memberships, the count, the response); no hand-written counterpart.
    Target("API people, none match", "/api/v1/people/?external_id=none", BOTH, []),
    Target("API people", "/api/v1/people/", BOTH, [PEOPLE, PEOPLE_COUNT]),
    Target(
        "API encounters",
        "/api/v1/encounters/?page_size=25",
        BOTH,
        encounters("programs"),
    ),
    Target("API followups", "/api/v1/followups/", BOTH, followups("programs")),
    Target(
        "API followups/deliveries",
        "/api/v1/followups/deliveries/",
        BOTH,
        DELIVERIES,
    ),
    Target("API familiar-faces", "/api/v1/familiar-faces/", BOTH, FAMILIAR_FACES),
    Target("page people", "/people/", BOTH, [PEOPLE, PEOPLE_COUNT]),
    Target("page encounters", "/encounters/", ("manager",), encounters("managed")),
    Target(
        "page follow-ups (mine, open)",
        "/followups/",
        BOTH,
        followups(
            "programs", "AND f.status = 'scheduled' AND f.assigned_to_id = %(user)s"
        ),
    ),
    Target(
        "page overdue",
        "/followups/overdue/",
        ("manager",),
        [*followups("managed", OVERDUE), OVERDUE_BY_NAVIGATOR],
    ),
    Target(
        "page deliveries",
        "/followups/deliveries/",
        ("manager",),
        [*DELIVERIES, DELIVERIES_FAILED],
    ),
    Target("page familiar faces", "/familiar-faces/", BOTH, FAMILIAR_FACES),
    Target(
        "page Today",
        "/",
        BOTH,
        [*encounters("programs", TODAY_EXTRA), FOLLOWUPS_TODAY],
    ),
]


# --- HTTP -----------------------------------------------------------------------


class Session:
    """One signed-in user's cookies; a new connection per thread."""

    def __init__(self, port: int, username: str, password: str) -> None:
        self.port = port
        self.username = username
        self.cookie = self._sign_in(username, password)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)

    def _sign_in(self, username: str, password: str) -> str:
        conn = self.connection()
        conn.request("GET", "/accounts/login/")
        response = conn.getresponse()
        html = response.read().decode()
        csrf = _cookie(response, "csrftoken")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if not (csrf and token):
            sys.exit("The login page has no CSRF token: cannot sign in.")
        body = urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1),
            }
        )
        conn.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf}",
            },
        )
        response = conn.getresponse()
        response.read()
        session = _cookie(response, "sessionid")
        conn.close()
        if response.status != 302 or not session:
            sys.exit(f"Signing in as {username} failed ({response.status}).")
        return f"sessionid={session}; csrftoken={csrf}"

    def get(self, conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
        conn.request("GET", path, headers={"Cookie": self.cookie})
        response = conn.getresponse()
        return response.status, response.read()


def _cookie(response: http.client.HTTPResponse, name: str) -> str | None:
    for header in response.headers.get_all("Set-Cookie") or []:
        match = re.match(rf"{name}=([^;]+)", header)
        if match:
            return match.group(1)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, database_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        # navigator.settings without the per-user API throttle (see there).
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{Path(__file__).parent}{os.pathsep}{ROOT}",
        "DEBUG": "0",
    }
    server = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "navigator.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            str(TIMEOUT),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("gunicorn exited while starting.")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    sys.exit("gunicorn did not answer within 60 s.")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- measuring ------------------------------------------------------------------


@dataclass
class Result:
    target: str
    user: str
    path: str
    status: int = 0
    bytes: int = 0
    count: object = None
    median_ms: float = 0.0
    hand_ms: float = 0.0
    loads: list[dict] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.median_ms / self.hand_ms if self.hand_ms else 0.0


def median_ms(fn, repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def one_request(session: Session, path: str, repeat: int) -> tuple[float, int, bytes]:
    conn = session.connection()
    seen: list[tuple[int, bytes]] = []

    def fetch() -> None:
        seen.append(session.get(conn, path))

    ms = median_ms(fetch, repeat)
    conn.close()
    statuses = {status for status, _ in seen}
    status = 200 if statuses == {200} else max(statuses)
    return ms, status, seen[-1][1]


def hand_written(
    db: psycopg.Connection, queries: list[str], params: dict, repeat: int
) -> float:
    # As Django writes it: "program_id IN (1)", which PostgreSQL reads as
    # "= 1" and so can walk the (program, ...) index in the list's order;
    # "= ANY(array)" cannot.
    sqls = [in_lists(sql, params) for sql in queries]

    def answer() -> bytes:
        out = []
        with db.cursor() as cursor:
            for sql in sqls:
                cursor.execute(sql, params)
                names = [c.name for c in cursor.description]  # type: ignore[union-attr]  # a SELECT describes its columns
                out.append([dict(zip(names, row, strict=True)) for row in cursor])
        return orjson.dumps(out, default=str)

    return median_ms(answer, repeat)


def in_lists(sql: str, params: dict) -> str:
    for name in ("programs", "managed"):
        ids = ", ".join(str(int(i)) for i in params[name]) or "NULL"
        sql = sql.replace(f"= ANY(%({name})s)", f"IN ({ids})")
    return sql


def load(
    session: Session, path: str, clients: int, duration: float, max_requests: int
) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + duration

    def client() -> None:
        conn = session.connection()
        while time.perf_counter() < deadline:
            with lock:
                if len(latencies) + len(errors) >= max_requests:
                    break
            start = time.perf_counter()
            try:
                status, _ = session.get(conn, path)
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = session.connection()
            took = time.perf_counter() - start
            with lock:
                (latencies.append(took) if status == 200 else errors.append(status))
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 2 * TIMEOUT)
    elapsed = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else 0.0
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_statuses": sorted(set(errors)),
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 1),
        "p95_ms": round(p95 * 1000, 1),
        "load_average": os.getloadavg()[0],
    }


# --- the run --------------------------------------------------------------------


def user_ids(db: psycopg.Connection, username: str) -> dict:
    row = db.execute(
        "SELECT id FROM navigator_user WHERE username = %s", [username]
    ).fetchone()
    if row is None:
        sys.exit(f"No user {username!r}: seed the database with seed_demo first.")
    memberships = db.execute(
        "SELECT program_id, role FROM navigator_membership "
        "WHERE user_id = %s AND is_active",
        [row[0]],
    ).fetchall()
    return {
        "user": row[0],
        "programs": [p for p, _ in memberships],
        "managed": [p for p, role in memberships if role == "program_manager"],
    }


def data_size(db: psycopg.Connection) -> dict:
    return {
        # count(*) always answers one row.
        table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
        for table in (
            "cases_person",
            "cases_encounter",
            "cases_familiarfaceflag",
            "followups_followup",
            "followups_delivery",
        )
    }


def manage(*argv: str) -> None:
    subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DEBUG": "0"},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", action="store_true", help="run seed_demo first")
    parser.add_argument("--password", default="navigator-demo")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=1, help="load runs per list")
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        help="the server keeps its database connections this many seconds "
        "(default: as DATABASE_URL says; Django's default is a new one per "
        "request)",
    )
    parser.add_argument("--only", default="", help="lists whose name contains this")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL=postgres://... (a database seeded by seed_demo).")
    if args.seed:
        name = urlsplit(url).path.lstrip("/")
        if not re.search(r"perf|bench|scratch", name):
            sys.exit(f"--seed writes to {name!r}: use a scratch database.")
        manage("migrate", "--verbosity", "0")
        manage("seed_demo", "--people", "100000", "--encounters", "1000000")
    manage("collectstatic", "--noinput", "--verbosity", "0")

    db = psycopg.connect(url, autocommit=True)
    # Statistics and visibility maps as autovacuum leaves them on a live
    # database (a seeded one has neither until it runs, and a test server
    # may run without it): plans and index-only scans as in production.
    db.execute("VACUUM (ANALYZE)")
    sizes = data_size(db)
    ids = {name: user_ids(db, name) for name in BOTH}
    port = free_port()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git on PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}, commit {commit}; "
        f"{os.cpu_count()} cores, {memory_gib()} GiB, {platform.system()}; "
        f"load average {os.getloadavg()[0]:.1f}; conn_max_age {args.conn_max_age}"
    )
    print("data: " + ", ".join(f"{t} {n:,}" for t, n in sizes.items()))
    server_url = url
    if args.conn_max_age is not None:
        # django-environ reads it from the URL: persistent connections.
        joiner = "&" if "?" in url else "?"
        server_url = f"{url}{joiner}conn_max_age={args.conn_max_age}"
    server = start_server(port, args.workers, server_url)
    results: list[Result] = []
    try:
        sessions = {name: Session(port, name, args.password) for name in BOTH}
        for target in TARGETS:
            if args.only and args.only not in target.name:
                continue
            for user in target.users:
                result = measure(target, sessions[user], ids[user], db, args)
                results.append(result)
                print_result(result)
    finally:
        stop_server(server)
        db.close()
    print()
    print_table(results)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "commit": commit,
                    "data": sizes,
                    "results": [r.__dict__ | {"ratio": r.ratio} for r in results],
                },
                indent=2,
                default=str,
            )
        )
    return 0


def measure(target: Target, session: Session, params: dict, db, args) -> Result:
    result = Result(target.name, session.username, target.path)
    ms, status, body = one_request(session, target.path, args.repeat)
    result.median_ms, result.status, result.bytes = ms, status, len(body)
    if status != 200:
        return result
    if target.path.startswith("/api/"):
        page = orjson.loads(body)
        result.count = (page.get("count"), page.get("count_capped"))
    if target.hand:
        result.hand_ms = hand_written(db, target.hand, params, args.repeat)
    if not args.no_load:
        for _ in range(args.rounds):
            result.loads.append(
                load(
                    session,
                    target.path,
                    args.clients,
                    args.duration,
                    args.max_requests,
                )
            )
    return result


def print_result(r: Result) -> None:
    loads = "; ".join(
        f"{x['rps']} req/s, p95 {x['p95_ms']:.0f} ms"
        + (f", {x['errors']} errors {x['error_statuses']}" if x["errors"] else "")
        for x in r.loads
    )
    print(
        f"{r.target} as {r.user}: {r.status}, {r.bytes:,} bytes, count {r.count}; "
        f"{r.median_ms:.1f} ms vs by hand {r.hand_ms:.1f} ms ({r.ratio:.1f}x)"
        + (f"; {loads}" if loads else ""),
        flush=True,
    )


def print_table(results: list[Result]) -> None:
    print("| list | as | ms | by hand, ms | ratio | req/s (16 clients) | p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        if r.status != 200:
            print(f"| {r.target} | {r.user} | {r.status} | | | | |")
            continue
        rps = " / ".join(f"{x['rps']:.1f}" for x in r.loads)
        p95 = " / ".join(f"{x['p95_ms']:.0f}" for x in r.loads)
        hand = f"{r.hand_ms:.1f} | {r.ratio:.1f}x" if r.hand_ms else "– | –"
        print(f"| {r.target} | {r.user} | {r.median_ms:.1f} | {hand} | {rps} | {p95} |")


if __name__ == "__main__":
    sys.exit(main())
