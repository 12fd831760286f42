"""``CACHE_URL`` picks the cache every process shares (used MFA codes, API
request counts): production's docker-compose points it at Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _caches(**env: str) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CACHES['default']))"
    )
    environ = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    environ.update(DJANGO_SETTINGS_MODULE="navigator.settings", **env)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_without_cache_url_each_process_keeps_its_own():
    assert _caches()["BACKEND"].endswith("LocMemCache")


def test_cache_url_names_a_shared_redis_cache():
    cache = _caches(CACHE_URL="redis://127.0.0.1:6379/14")
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/14"


def test_docker_compose_gives_every_app_process_the_shared_cache():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "CACHE_URL: ${CACHE_URL:-redis://redis:6379/1}" in compose
