"""``SITE_URL`` builds every absolute link (issue 8: reminder links pointed at
http://127.0.0.1:8000/ on any port): reminders, calendar feeds, API page
links; ``make run`` sets it from its host and port."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from followups import texts
from navigator.links import absolute_url
from tests.factories import PersonFactory

ROOT = Path(__file__).resolve().parents[2]
SITE = "https://nav.example.org:8101"


def _site_url(**env: str) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SITE_URL)"
    )
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SITE_URL", "NAVIGATOR_BASE_URL")
    }
    environ.update(DJANGO_SETTINGS_MODULE="navigator.settings", **env)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip().splitlines()[-1]


def test_site_url_comes_from_the_environment():
    assert _site_url() == "http://127.0.0.1:8000"
    assert _site_url(SITE_URL=SITE + "/") == SITE
    # Its earlier name still works.
    assert _site_url(NAVIGATOR_BASE_URL=SITE) == SITE


def test_absolute_links_are_on_site_url(settings):
    settings.SITE_URL = SITE
    assert absolute_url("/followups/7/") == SITE + "/followups/7/"
    assert texts.followup_url(7) == SITE + "/followups/7/"
    assert texts.today_url() == SITE + "/"


@pytest.mark.parametrize("bad", ["nav.example.org", "https://nav.example.org/app"])
def test_a_site_url_that_is_not_an_origin_is_refused(settings, bad):
    settings.SITE_URL = bad
    with pytest.raises(ImproperlyConfigured, match="SITE_URL"):
        absolute_url("/")


@pytest.mark.django_db
def test_api_page_links_are_on_site_url(settings, program_a, navigator_a):
    settings.SITE_URL = SITE
    PersonFactory.create_batch(3, program=program_a)
    api = APIClient()
    api.force_authenticate(navigator_a)
    first = api.get("/api/v1/people/", {"page_size": 2}).json()
    assert first["next"] == SITE + "/api/v1/people/?page=2&page_size=2"
    second = api.get(first["next"]).json()
    assert second["previous"] == SITE + "/api/v1/people/?page_size=2"


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["PORT=8101"], {}, "http://127.0.0.1:8101"),
        (["BIND_HOST=0.0.0.0", "PORT=8102"], {}, "http://127.0.0.1:8102"),
        (["PORT=8101"], {"SITE_URL": SITE}, SITE),
        ([f"SITE_URL={SITE}"], {}, SITE),
    ],
)
def test_make_run_sets_site_url_from_its_host_and_port(args, env, expected):
    environ = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    environ.update(env)
    # -n: print the commands only (nothing is installed or started).
    out = subprocess.run(
        ["make", "-n", "--no-print-directory", "run", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (line,) = [line for line in out.splitlines() if "run_embedded" in line]
    assert line.startswith(f'SITE_URL="{expected}" '), line
