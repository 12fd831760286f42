"""Deploy checks (``manage.py check --deploy``): refuse the embedded defaults.

The embedded mode (docs/decisions/0001-embedded-mode.md) is made to run with
nothing configured; each default it relies on is wrong for a deployment, and
these checks name the environment variable that fixes it.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from navigator.links import site_url

# Brokers that only work when every process shares one machine (or one
# process): fine for `make run`, silently broken across containers.
EMBEDDED_BROKERS = ("filesystem://", "memory://")


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    if settings.SECRET_KEY.startswith("insecure-embedded-only"):
        return [
            Error(
                "SECRET_KEY is the embedded default.",
                hint="Set SECRET_KEY in the environment for any deployment.",
                id="navigator.E001",
            )
        ]
    return []


@register(Tags.database, deploy=True)
def production_database(app_configs, **kwargs):
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        return [
            Error(
                "The embedded SQLite database is not for production.",
                hint="Set DATABASE_URL=postgres://...",
                id="navigator.E002",
            )
        ]
    return []


@register(deploy=True)
def production_broker(app_configs, **kwargs):
    errors: list[CheckMessage] = []
    if str(settings.CELERY_BROKER_URL).startswith(EMBEDDED_BROKERS):
        errors.append(
            Error(
                "CELERY_BROKER_URL is the embedded file-system broker; workers "
                "on another machine or container never see its messages.",
                hint="Set CELERY_BROKER_URL=redis://...",
                id="navigator.E003",
            )
        )
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        errors.append(
            Warning(
                "CELERY_TASK_ALWAYS_EAGER runs background work inside web "
                "requests, without retries.",
                hint="Unset CELERY_TASK_ALWAYS_EAGER; run a worker and one beat.",
                id="navigator.W004",
            )
        )
    return errors


# Hosts that only the machine running Navigator reaches.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0")  # noqa: S104


@register(deploy=True)
def site_url_is_public(app_configs: object, **kwargs: object) -> list[CheckMessage]:
    """Reminder links and calendar feeds are opened on other devices: they
    must point at the address users reach (navigator/links.py)."""
    try:
        url = site_url()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="Set SITE_URL=https://...", id="navigator.E005")]
    parts = urlsplit(url)
    if parts.hostname in LOOPBACK_HOSTS or parts.netloc in LOOPBACK_HOSTS:
        return [
            Warning(
                f"SITE_URL is {url}: links in reminders and calendar feeds "
                "would open this machine, not Navigator, on a phone.",
                hint="Set SITE_URL to the site's public address, "
                "e.g. https://navigator.example.org",
                id="navigator.W005",
            )
        ]
    if parts.scheme != "https" and settings.SECURE_SSL_REDIRECT:
        return [
            Warning(
                f"SITE_URL is {url} but the site redirects to https.",
                hint="Use https:// in SITE_URL.",
                id="navigator.W006",
            )
        ]
    return []
