"""OpenAPI helpers: the error responses each endpoint can give."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from navigator.api.serializers import ErrorSerializer

_MEANING = {
    400: "Bad input; `fields` names what is wrong.",
    401: "Not authenticated (send `Authorization: Bearer <token>`).",
    403: "Authenticated but not allowed (e.g. missing CSRF token on a session).",
    404: "Missing, or not in your programs.",
    409: "Not allowed in the record's current state.",
    413: "Request body too large.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """``{status: error response}`` for ``extend_schema(responses=...)``.

    401 and 403 apply to every endpoint, so they are always included.
    """
    wanted = sorted({401, 403, *codes})
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=_MEANING[code])
        for code in wanted
    }
