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


@pytest.fixture(autouse=True)
def _fresh_cache():
    # API throttling counts requests in the cache; each test starts at zero.
    from django.core.cache import cache

    cache.clear()


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
