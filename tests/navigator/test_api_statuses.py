"""Every status and content type the API answers is one its schema documents.

Found by schemathesis: the pagination's "Invalid page." 404 was in no
operation's responses, ``/api/v1/people/%0A`` answered the HTML 404 (the
catch-all's ``.`` does not match a newline), and 405 / 406 / 415 were
undocumented. Here each is provoked and checked against the schema.
"""

from __future__ import annotations

import json

import pytest

from navigator import views
from navigator.api.schema import PAGE_PAST_THE_END
from tests.factories import PersonFactory, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(navigator_a):
    return token_client(navigator_a)


@pytest.fixture
def schema(api):
    return api.get("/api/schema/", {"format": "json"}).json()


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    return body


def documented(schema, path: str, method: str) -> set[str]:
    return set(schema["paths"][path][method]["responses"])


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/people/%0A",
        "/api/v1/people/%0A/",
        "/api/v1/people/1/%0A",
        "/api/v1/%0D%0A",
        "/api/v1/people/\u2028/",
        "/api/schema/%0A",
        "/api/v2/people/",
    ],
)
def test_any_url_under_api_is_a_json_404(api, path):
    body = assert_json_error(api.get(path), 404)
    assert body["code"] == "not_found"


@pytest.mark.parametrize(
    "params, name",
    [
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "\u00b2"}, "page"),
        ({"page": "last"}, "page"),
        ({"page": "9" * 5000}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "1e400"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
    ],
)
def test_a_bad_page_parameter_is_a_400_naming_it(api, params, name):
    body = assert_json_error(api.get("/api/v1/people/", params), 400)
    assert name in body["fields"], body


def test_a_page_past_the_end_is_the_documented_404(api, schema, program_a):
    PersonFactory(program=program_a)
    assert api.get("/api/v1/people/", {"page": 1}).status_code == 200
    body = assert_json_error(api.get("/api/v1/people/", {"page": 2}), 404)
    assert body["code"] == "not_found"
    for path, operations in schema["paths"].items():
        get = operations.get("get", {})
        if any(p["name"] == "page" for p in get.get("parameters", [])):
            assert "404" in get["responses"], path
    followups = schema["paths"]["/api/v1/followups/"]["get"]["responses"]
    assert followups["404"]["description"] == PAGE_PAST_THE_END


def test_page_parameters_state_their_bounds(schema):
    parameters = {
        p["name"]: p["schema"]
        for p in schema["paths"]["/api/v1/people/"]["get"]["parameters"]
    }
    assert parameters["page"]["minimum"] == 1
    assert (parameters["page_size"]["minimum"], parameters["page_size"]["maximum"]) == (
        1,
        100,
    )


def test_a_wrong_method_is_a_documented_405(api, schema):
    response = api.put("/api/v1/followups/1/", {}, format="json")
    assert_json_error(response, 405)
    assert "PATCH" in response["Allow"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "405" in operation["responses"], (method, path)


def test_a_wrong_accept_is_a_documented_406(api, schema):
    response = api.get("/api/v1/people/", HTTP_ACCEPT="text/html")
    assert_json_error(response, 406)
    assert "406" in documented(schema, "/api/v1/people/", "get")


def test_a_wrong_content_type_is_a_documented_415(api, schema):
    response = api.generic(
        "POST", "/api/v1/people/", "first_name=Ana", content_type="text/plain"
    )
    assert_json_error(response, 415)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= set(operation["responses"]), (
                    method,
                    path,
                )


def test_every_error_is_documented_as_json_in_the_one_shape(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    content = response["content"]["application/json"]["schema"]
                    assert content == {"$ref": "#/components/schemas/Error"}, (
                        method,
                        path,
                        status,
                    )


def test_a_server_error_under_api_is_json(rf):
    response = views.server_error(rf.get("/api/v1/people/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == "server_error"
    assert views.server_error(rf.get("/people/"))["Content-Type"].startswith(
        "text/html"
    )
