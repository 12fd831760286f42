from django.conf import settings
from django.core.checks import Error, Tags, register


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
