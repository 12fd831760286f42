"""OpenAPI schema and Swagger UI: complete, warning-free, and offline."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
EXTERNAL = re.compile(r"""(?:https?:)?//[^/"'\s]""", re.IGNORECASE)


def test_schema_builds_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    # --fail-on-warn turns every "could not resolve" into a failure.
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(out),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    text = out.read_text()
    for path in (
        "/api/v1/people/",
        "/api/v1/people/{id}/",
        "/api/v1/people/{id}/restore/",
        "/api/v1/people/{person_pk}/contacts/",
        "/api/v1/people/{person_pk}/contacts/{id}/",
        "/api/v1/encounters/",
        "/api/v1/encounters/{id}/",
        "/api/v1/encounters/{id}/restore/",
    ):
        assert f"  {path}:" in text, path
    assert "bearerAuth" in text


def test_schema_is_served_to_anyone():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "code", "fields"}


def assert_swagger_is_self_hosted(client: Client) -> list[str]:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assets = ASSET.findall(html)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = (
            b"".join(served.streaming_content) if served.streaming else served.content
        )
        assert body, asset
    return assets


def test_swagger_ui_loads_its_assets_from_our_static(settings):
    # The suite runs without collectstatic: plain storage, files found in apps.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    assets = assert_swagger_is_self_hosted(Client())
    assert any("swagger-ui-bundle" in a for a in assets)


def test_swagger_ui_assets_after_collectstatic(settings, tmp_path):
    # Production: hashed, compressed files collected into STATIC_ROOT and
    # served by WhiteNoise (a new Client builds a new middleware chain).
    settings.STATIC_ROOT = tmp_path / "static"
    settings.WHITENOISE_USE_FINDERS = False
    # tests/conftest.py switches the suite to plain storage; this test is
    # about the production one.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        },
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    assets = assert_swagger_is_self_hosted(Client())
    assert all(re.search(r"\.[0-9a-f]{12}\.", a) for a in assets), assets
