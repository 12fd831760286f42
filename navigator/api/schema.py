"""OpenAPI helpers: the error responses each endpoint can give."""

from __future__ import annotations

from django import forms
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import (
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.utils import OpenApiResponse

from navigator.api.fields import ISO_DATETIME, StrictDateTimeField
from navigator.api.serializers import (
    ChoiceListField,
    ErrorSerializer,
    StrictFieldsMixin,
)

_MEANING = {
    400: "Bad input; `fields` names what is wrong.",
    401: "Not authenticated (send `Authorization: Bearer <token>`).",
    403: "Authenticated but not allowed (e.g. missing CSRF token on a session).",
    404: "Missing, or not in your programs.",
    405: "This method is not allowed here; `Allow` lists the ones that are.",
    406: "The `Accept` header asks for something other than `application/json`.",
    409: "Not allowed in the record's current state.",
    413: "Request body too large.",
    415: "The body is not `application/json`.",
    429: "Too many requests; retry after the `Retry-After` seconds.",
}
PAGE_PAST_THE_END = "Page past the last one (`?page=`)."


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """``{status: error response}`` for ``extend_schema(responses=...)``.

    401, 403 and 429 (throttling) apply to every endpoint, so they are always
    included.
    """
    wanted = sorted({401, 403, 429, *codes})
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=_MEANING[code])
        for code in wanted
    }


class StrictFieldsScheme(OpenApiSerializerExtension):
    """Request bodies of strict serializers say ``additionalProperties: false``.

    The API answers a key that is not in the request body's schema with 400,
    whether unknown or read-only (docs/decisions/0007-api-input-rules.md): the
    request components (``COMPONENT_SPLIT_REQUEST``) leave read-only fields
    out, so generated clients and fuzzers know it up front.
    """

    target_class = StrictFieldsMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(
            self.target, direction, bypass_extensions=True
        )
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class LocalDateTimeScheme(OpenApiSerializerFieldExtension):
    """A date-time the API takes without an offset too (the program's zone).

    RFC 3339's ``date-time`` requires the offset, so a request says what is
    taken by a pattern (the one the field checks); responses always carry
    the offset and say ``format: date-time``.
    """

    target_class = StrictDateTimeField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(
            self.target, direction, bypass_extensions=True
        )
        if direction == "request":
            schema.pop("format", None)
            schema["pattern"] = ISO_DATETIME
        return schema


class ChoiceListScheme(OpenApiSerializerFieldExtension):
    """A list of distinct choices says ``uniqueItems`` (a repeat is a 400)."""

    target_class = ChoiceListField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(
            self.target, direction, bypass_extensions=True
        )
        schema["uniqueItems"] = True
        return schema


class BoundedFilterScheme(DjangoFilterExtension):
    """Query filters state their type and bounds as the filter checks them,
    and that an empty value is taken (as "not given").

    drf-spectacular leaves a NumberFilter's ``min_value`` / ``max_value``
    out, so ``?person=0`` looked valid to clients and fuzzers, and was a 400;
    and a whole-number filter on a related id was typed ``number``.
    """

    priority = 1  # before drf-spectacular's own extension for django-filter

    def resolve_filter_field(
        self, auto_schema, model, filterset_class, field_name, filter_field
    ):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        bounds = {
            "minimum": filter_field.extra.get("min_value"),
            "maximum": filter_field.extra.get("max_value"),
        }
        whole = issubclass(filter_field.field_class, forms.IntegerField)
        for parameter in parameters:
            # A page's filter form sends every field, empty ones too: an
            # empty value means "not given", on the page and in the API.
            parameter["allowEmptyValue"] = True
            if whole:
                parameter["schema"]["type"] = "integer"
            parameter["schema"].update(
                {key: value for key, value in bounds.items() if value is not None}
            )
        return parameters


def document_every_error(result, generator, request, public):
    """A postprocessing hook: the status codes any operation can answer.

    Besides what each view declares (``errors()``), any request may be
    answered 401, 403, 405 (wrong method), 406 (an ``Accept`` that is not
    JSON) or 429; any with a body 400, 413 or 415 (not JSON); any with a
    path id 404; any with query parameters 400; a list 404 for a page past
    the end. All in the one error shape. A fuzzer (CI's schemathesis run)
    or a generated client then meets no undocumented status.
    """
    error = {
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        }
    }
    for operations in result["paths"].values():
        for operation in operations.values():
            parameters = operation.get("parameters", [])
            wanted = {401, 403, 405, 406, 429}
            if "requestBody" in operation:
                wanted |= {400, 413, 415}
            if any(p["in"] == "query" for p in parameters):
                wanted.add(400)
            if any(p["in"] == "path" for p in parameters):
                wanted.add(404)
            responses = operation["responses"]
            if any(p["in"] == "query" and p["name"] == "page" for p in parameters):
                responses.setdefault("404", {**error, "description": PAGE_PAST_THE_END})
            for code in sorted(wanted):
                responses.setdefault(
                    str(code), {**error, "description": _MEANING[code]}
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result
