from __future__ import annotations

import re

from django.utils import timezone

from navigator.context import new_request_id, request_id_var, source_var

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id (or keep a sane one from the proxy).

    The id goes into logs, the audit log and the ``X-Request-ID`` response
    header, so a user's report can be matched to what happened.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _VALID_REQUEST_ID.match(incoming) else new_request_id()
        request.request_id = rid
        source = "api" if request.path.startswith("/api/") else "web"
        rid_token = request_id_var.set(rid)
        src_token = source_var.set(source)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(rid_token)
            source_var.reset(src_token)
        response["X-Request-ID"] = rid
        return response


class ProgramTimezoneMiddleware:
    """Show times in the time zone of the user's (first) program."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from navigator.selectors import primary_program_for

            program = primary_program_for(user=user)
            if program is not None:
                timezone.activate(program.tz)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
