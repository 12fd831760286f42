"""schemathesis over the whole API schema: as a navigator, a program manager
and anonymous, with every check but those tests/navigator/schemathesis.toml
turns off (each with why). Zero failures, or the test fails with the report.

The app runs in pytest-django's live server on the test database (seeded
with seed_demo); schemathesis runs as a subprocess against it, with the
roles' bearer tokens. The schema is fetched once, with a token (so it works
whether /api/schema/ needs one or not), and every role's run reads it from a
file. Headers other than the token (an ``Idempotency-Key`` the schema
declares, say) are schemathesis's to generate from the schema. Bounded: ``--max-examples`` per operation and a fixed seed, so the
run is reproducible and takes a minute or two a role; set
``NAVIGATOR_SCHEMATHESIS_SEED=random`` (or another number) and
``NAVIGATOR_SCHEMATHESIS_EXAMPLES`` to explore further.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from navigator.models import User
from navigator.services import api_token_create

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = os.environ.get("NAVIGATOR_SCHEMATHESIS_SEED", "20261201")
EXAMPLES = os.environ.get("NAVIGATOR_SCHEMATHESIS_EXAMPLES", "10")
ALL_PHASES = "examples,coverage,fuzzing,stateful"
# Role -> (demo user of seed_demo, or None for no credentials; phases).
# Anonymous gets 401 from every operation before any input is read: its
# coverage phase (a few thousand boundary values) would test the same 401
# again and again, so it is fuzzed only.
ROLES = {
    "navigator": ("navigator", ALL_PHASES),
    "manager": ("manager", ALL_PHASES),
    "anonymous": (None, "fuzzing"),
}
TIMEOUT = 15 * 60  # far above a run's minute: a hang fails instead of stalling CI


@pytest.fixture
def seeded(transactional_db):
    call_command(
        "seed_demo",
        "--people",
        "60",
        "--encounters",
        "200",
        "--seed",
        "7",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


@pytest.fixture
def unthrottled(monkeypatch):
    # Thousands of requests a minute from one token is what this test does;
    # throttling would answer most with a (documented) 429 and test nothing.
    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda *args: True)


def bearer(username: str) -> dict[str, str]:
    _, key = api_token_create(user=User.objects.get(username=username), name="st")
    return {"Authorization": f"Bearer {key}"}


def fetch_schema(headers: dict[str, str], into: Path) -> Path:
    # In process, as a client would get it: with the header a token client
    # sends (the schema may need a signed-in user or a token).
    extra: dict[str, Any] = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()
    }
    response = Client().get("/api/schema/", {"format": "json"}, **extra)
    assert response.status_code == 200, response.content[:500]
    path = into / "schema.json"
    path.write_bytes(response.content)
    return path


def schemathesis(
    schema: Path, base_url: str, headers: dict[str, str], phases: str, cwd: Path
):
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        str(schema),
        "--url",
        base_url,
        # The checks are the config file's: all, but those it turns off.
        "--phases",
        phases,
        "--max-examples",
        EXAMPLES,
        "--workers",
        "1",  # the live server shares one SQLite connection between threads
        "--generation-database",
        "none",  # runs are reproducible from the seed alone
        "--request-timeout",
        "30",
        "--no-color",
    ]
    if SEED != "random":
        command += ["--seed", SEED]
    # A fresh connection per request: on a kept-alive one, Django's test
    # server and the client's delayed ACKs stall each request ~40 ms (Nagle),
    # which made the run four times slower.
    for name, value in {**headers, "Connection": "close"}.items():
        command += ["--header", f"{name}: {value}"]
    return subprocess.run(  # noqa: S603
        command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT
    )


@pytest.mark.parametrize("role", list(ROLES))
def test_the_api_does_what_its_schema_says(
    role, seeded, unthrottled, live_server, tmp_path
):
    schema = fetch_schema(bearer("navigator"), tmp_path)
    user, phases = ROLES[role]
    headers = bearer(user) if user else {}
    result = schemathesis(schema, live_server.url, headers, phases, tmp_path)
    report = result.stdout + result.stderr
    (tmp_path / "report.txt").write_text(report)
    cases = re.search(r"(\d+) generated", report)
    took = re.search(r"in ([0-9.]+s) =", report)
    print(
        f"schemathesis as {role}: {cases.group(0) if cases else '?'} test cases"
        f" in {took.group(1) if took else '?'}"
    )
    assert result.returncode == 0, report[-20_000:]
