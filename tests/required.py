"""What the tests that need the real stack share: skip on a newcomer's machine,
fail where the services must be there, and the test database as a URL that
another process can open."""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest
from django.db import connection


def require(reason: str) -> None:
    """Skip with ``reason``; fail instead under NAVIGATOR_REQUIRE_SERVICES=1
    (set by .ci/run) or CI=true."""
    if os.environ.get("NAVIGATOR_REQUIRE_SERVICES") == "1" or (
        os.environ.get("CI") == "true"
    ):
        pytest.fail(f"{reason} (required: NAVIGATOR_REQUIRE_SERVICES=1 or CI=true)")
    pytest.skip(reason)


def database_url(*, user: str | None = None, password: str = "") -> str:
    """The test database (pytest-django's test_<name>) as a DATABASE_URL, as
    the configured user or as ``user``. Only for PostgreSQL."""
    db = connection.settings_dict
    auth = quote(user or db["USER"] or "", safe="")
    if secret := (password if user else db.get("PASSWORD")):
        auth += ":" + quote(secret, safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{quote(db['NAME'], safe='')}"
