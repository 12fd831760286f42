"""OpenAPI schema and Swagger UI: complete, warning-free, and offline."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from navigator.services import api_token_create, api_token_revoke
from tests.factories import UserFactory

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


def bearer(user) -> Client:
    _token, key = api_token_create(user=user, name="docs")
    return Client(headers={"Authorization": f"Bearer {key}"})


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_json_401(response) -> None:
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == "Bearer"
    assert set(response.json()) == {"detail", "code", "fields"}


@pytest.mark.parametrize("fmt", [None, "json", "yaml"])
def test_the_schema_is_a_json_401_for_anonymous_callers(fmt):
    query = {"format": fmt} if fmt else {}
    assert_json_401(Client().get("/api/schema/", query))


def test_the_schema_refuses_a_revoked_or_unknown_token(navigator_a):
    token, key = api_token_create(user=navigator_a, name="old")
    api_token_revoke(token=token)
    for value in (key, "not-a-token"):
        client = Client(headers={"Authorization": f"Bearer {value}"})
        assert_json_401(client.get("/api/schema/"))


@pytest.mark.parametrize("how", [signed_in, bearer])
def test_the_schema_is_served_to_a_signed_in_user_or_a_token(how, navigator_a):
    response = how(navigator_a).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "code", "fields"}
    assert "no-store" in response["Cache-Control"]


def test_the_docs_page_sends_anonymous_visitors_to_the_login_page():
    for url in ("/api/docs/", "/api/docs/?script="):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{reverse('login')}?next=/api/docs/"), (
            url
        )


@pytest.mark.parametrize("how", [signed_in, bearer])
def test_the_docs_page_works_for_a_signed_in_user_or_a_token(how, navigator_a):
    client = how(navigator_a)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    # Its start-up script is a file of its own (the CSP allows no inline
    # script), and so is its style.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), html
    assert "<style" not in html
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]


def assert_swagger_is_self_hosted(client: Client) -> list[str]:
    client.force_login(UserFactory())
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assets = ASSET.findall(html)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    for asset in assets:
        # Its own start-up script (see the test above), or our static files.
        assert asset.startswith("/static/") or asset == "/api/docs/?script=", asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = (
            # Static files come as a FileResponse, which streams.
            b"".join(served.streaming_content)  # type: ignore[attr-defined]
            if served.streaming
            else served.content
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
    files = [a for a in assets if a.startswith("/static/")]
    assert all(re.search(r"\.[0-9a-f]{12}\.", a) for a in files), assets
