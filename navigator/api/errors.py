"""Every API error has one shape: ``{"detail", "code", "fields"}``."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from navigator.errors import DomainError

logger = logging.getLogger(__name__)


def _join(key, sub: str) -> str:
    # List positions read as in JSONPath-ish form: officers[0].name.
    return f"{key}{sub}" if sub.startswith("[") else f"{key}.{sub}"


def _name(key) -> str:
    return f"[{key}]" if isinstance(key, int) else str(key)


def _flatten(data) -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"field.sub[0].x": [messages]}``."""
    if isinstance(data, dict):
        out: dict[str, list[str]] = {}
        for key, value in data.items():
            name = _name(key)
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[_join(name, sub)] = msgs
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for i, item in enumerate(value):
                    for sub, msgs in _flatten(item).items():
                        out[_join(f"{name}[{i}]", sub)] = msgs
            else:
                out[name] = [
                    str(v) for v in (value if isinstance(value, list) else [value])
                ]
        return out
    return {
        "non_field_errors": [
            str(v) for v in (data if isinstance(data, list) else [data])
        ]
    }


def error_response(detail: str, code: str, status_code: int, fields=None) -> Response:
    return Response(
        {"detail": detail, "code": code, "fields": fields or {}}, status=status_code
    )


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return error_response(exc.detail, exc.code, exc.status, exc.fields)
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict
            if hasattr(exc, "error_dict")
            else {"non_field_errors": exc.messages}
        )
        return error_response(
            _summary(fields), "invalid", status.HTTP_400_BAD_REQUEST, fields
        )
    if isinstance(exc, RequestDataTooBig):
        # Django would answer with an HTML 400; clients need to know the size
        # is the problem (DATA_UPLOAD_MAX_MEMORY_SIZE).
        return error_response(
            "Request body too large.",
            "too_large",
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, IntegrityError):
        # Services validate constraints first, so this is a race between two
        # writers (e.g. the same external_id created twice at once): the
        # transaction was rolled back; retrying shows the real state.
        logger.warning("Integrity error answered as 409", exc_info=exc)
        return error_response(
            "This change conflicts with another one made at the same time.",
            "conflict",
            status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        response.data = {
            "detail": _summary(fields),
            "code": "invalid",
            "fields": fields,
        }
        return response
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    response.data = {
        "detail": str(detail),
        "code": code if isinstance(code, str) else "error",
        "fields": {},
    }
    return response


def _summary(fields: dict[str, list[str]]) -> str:
    parts = [f"{name}: {msgs[0]}" for name, msgs in fields.items() if msgs]
    return "Invalid input. " + "; ".join(parts) if parts else "Invalid input."
