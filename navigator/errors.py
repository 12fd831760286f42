"""The one error type the domain raises.

Services raise DomainError; the API's exception handler turns it into
``{"detail", "code", "fields"}`` with its status, and page views turn it into
form errors / messages (``navigator.views.apply_domain_error``).
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.fields = fields or {}

    @classmethod
    def for_field(cls, field: str, message: str, *, code: str | None = None):
        return cls(message, code=code, fields={field: [message]})


class NotFound(DomainError):
    """Missing, or not the caller's: the two are indistinguishable on purpose."""

    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """Not allowed in the object's current state."""

    status = 409
    default_code = "conflict"


class PermissionDenied(DomainError):
    """The caller may see the object but not do this to it."""

    status = 403
    default_code = "permission_denied"
