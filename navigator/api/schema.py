"""OpenAPI helpers: the error responses each endpoint can give."""

from __future__ import annotations

from django import forms
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse

from navigator.api.serializers import ErrorSerializer, StrictFieldsMixin

_MEANING = {
    400: "Bad input; `fields` names what is wrong.",
    401: "Not authenticated (send `Authorization: Bearer <token>`).",
    403: "Authenticated but not allowed (e.g. missing CSRF token on a session).",
    404: "Missing, or not in your programs.",
    409: "Not allowed in the record's current state.",
    413: "Request body too large.",
    429: "Too many requests; retry after the `Retry-After` seconds.",
}


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


class BoundedFilterScheme(DjangoFilterExtension):
    """Query filters state their type and bounds as the filter checks them.

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
            if whole:
                parameter["schema"]["type"] = "integer"
            parameter["schema"].update(
                {key: value for key, value in bounds.items() if value is not None}
            )
        return parameters
