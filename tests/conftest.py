from __future__ import annotations

import pytest

from navigator.celery import app as celery_app
from navigator.models import Role
from tests.factories import ProgramFactory, member


def pytest_configure(config):
    from django.conf import settings

    # Hashing a password properly is slow on purpose; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # With DEBUG off the manifest storage needs `collectstatic` first; tests
    # render pages straight from the apps' static folders instead.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    _flush_lifts_the_audit_truncate_guard()


# --- Transactional tests empty the audit log of the TEST database ------------
def _flush_lifts_the_audit_truncate_guard() -> None:
    """After a transactional test (live server, real workers) Django empties
    every table with one TRUNCATE, which the audit log's guard (migration
    navigator 0003) refuses on PostgreSQL, as it should everywhere else. Only
    pytest's own test database is ever flushed: the flush lifts the guard for
    its statement and puts it back, in the one transaction it runs in."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    sql_flush = DatabaseOperations.sql_flush
    guard = "ALTER TABLE navigator_auditevent {} TRIGGER navigator_audit_no_truncate;"

    def flush_around_the_guard(self, style, tables, **options):
        statements = sql_flush(self, style, tables, **options)
        if not statements:
            return statements
        return [guard.format("DISABLE"), *statements, guard.format("ENABLE ALWAYS")]

    # Patched for the test session only (see above).
    DatabaseOperations.sql_flush = flush_around_the_guard  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # API throttling counts requests in the cache; each test starts at zero.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path_factory):
    """Uploaded documents go to a folder of the test's own, never var/."""
    settings.PRIVATE_FILES_ROOT = tmp_path_factory.mktemp("private")


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """In-process tests run tasks inline; the worker tests start real processes."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def program_a(db):
    return ProgramFactory(name="Program A", slug="program-a")


@pytest.fixture
def program_b(db):
    return ProgramFactory(name="Program B", slug="program-b")


@pytest.fixture
def navigator_a(program_a):
    return member(program_a, Role.NAVIGATOR, username="nav-a")


@pytest.fixture
def manager_a(program_a):
    return member(program_a, Role.PROGRAM_MANAGER, username="mgr-a")


@pytest.fixture
def navigator_b(program_b):
    return member(program_b, Role.NAVIGATOR, username="nav-b")
