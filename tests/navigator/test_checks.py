"""Deploy checks refuse the embedded defaults and pass a production setup."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from navigator import checks

PRODUCTION = {
    "DEBUG": False,
    "SECRET_KEY": "x7Gq2-kV9pL4mN8rT1wY6zB3cF5hJ0sD-uE2iO7aQ4nM9vK1gH6tR3yW8bX5",
    "ALLOWED_HOSTS": ["navigator.example.org"],
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "CELERY_BROKER_URL": "redis://redis:6379/0",
    "CELERY_TASK_ALWAYS_EAGER": False,
    "SITE_URL": "https://navigator.example.org",
}


@pytest.fixture
def production(settings, monkeypatch):
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    # Browser tests set it for Playwright's sync API in this process; Django's
    # deploy check rightly refuses it (async.E001), but it is no deployment's.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    # Only the checks read the engine; no connection is opened meanwhile.
    monkeypatch.setitem(
        settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql"
    )
    return settings


def _ids(messages) -> list[str]:
    return [m.id for m in messages]


def test_embedded_secret_key_is_refused(production):
    production.SECRET_KEY = "insecure-embedded-only-key-change-me"

    assert _ids(checks.secret_key_is_set(None)) == ["navigator.E001"]


def test_sqlite_is_refused(production, monkeypatch):
    monkeypatch.setitem(
        production.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3"
    )

    assert _ids(checks.production_database(None)) == ["navigator.E002"]


@pytest.mark.parametrize("url", ["filesystem://", "memory://"])
def test_embedded_broker_is_refused(production, url):
    production.CELERY_BROKER_URL = url

    assert _ids(checks.production_broker(None)) == ["navigator.E003"]


def test_eager_tasks_are_a_warning(production):
    production.CELERY_TASK_ALWAYS_EAGER = True

    assert _ids(checks.production_broker(None)) == ["navigator.W004"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000", "navigator.W005"),  # the embedded default
        ("http://localhost:8101", "navigator.W005"),
        ("http://navigator.example.org", "navigator.W006"),  # yet https only
        ("navigator.example.org", "navigator.E005"),
        ("https://navigator.example.org/app", "navigator.E005"),
    ],
)
def test_site_url_must_be_the_public_address(production, url, expected):
    production.SITE_URL = url

    assert _ids(checks.site_url_is_public(None)) == [expected]


def test_production_settings_raise_nothing(production):
    assert checks.site_url_is_public(None) == []
    assert checks.secret_key_is_set(None) == []
    assert checks.production_database(None) == []
    assert checks.production_broker(None) == []


def test_check_deploy_passes_with_production_settings(production):
    # The same bar as .ci/run: not even a warning is left.
    call_command("check", deploy=True, fail_level="WARNING", verbosity=0)


def test_check_deploy_fails_on_the_embedded_defaults(production, monkeypatch):
    production.SECRET_KEY = "insecure-embedded-only-key-change-me"
    production.CELERY_BROKER_URL = "filesystem://"
    monkeypatch.setitem(
        production.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3"
    )

    with pytest.raises(SystemCheckError) as raised:
        call_command("check", deploy=True, verbosity=0)

    for check_id in ("navigator.E001", "navigator.E002", "navigator.E003"):
        assert check_id in str(raised.value)
