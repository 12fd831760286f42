"""Response headers every page and API answer carries (issue 7).

- ``Permissions-Policy``: no browser feature the app does not use. The
  encounter form's "Use my current location" button (navigator.js) needs
  geolocation on our own origin; passkeys (WebAuthn) keep their default,
  our own origin; everything else is off, for us and any frame.
- ``Cache-Control: no-store`` (and HTTP/1.0's ``Pragma: no-cache``) on every
  answer to a signed-in user and on every API answer: they hold people's
  records, which must not stay in a shared browser's or a proxy's cache
  (OWASP ASVS 4 V8.2.1). Static files never get here: WhiteNoise, earlier
  in MIDDLEWARE, answers them first.

The Content-Security-Policy itself is django-csp's (CONTENT_SECURITY_POLICY
in settings).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

PERMISSIONS_POLICY = ", ".join(
    (
        "accelerometer=()",
        "autoplay=()",
        "camera=()",
        "display-capture=()",
        "encrypted-media=()",
        "fullscreen=(self)",
        "geolocation=(self)",
        "gyroscope=()",
        "hid=()",
        "idle-detection=()",
        "magnetometer=()",
        "microphone=()",
        "midi=()",
        "payment=()",
        "picture-in-picture=()",
        "publickey-credentials-create=(self)",
        "publickey-credentials-get=(self)",
        "screen-wake-lock=()",
        "serial=()",
        "usb=()",
        "xr-spatial-tracking=()",
    )
)

API_PREFIX = "/api/"


def holds_private_data(request: HttpRequest) -> bool:
    """An answer that may show people's records: to a signed-in user, or from
    the API (a bearer token is not a session, so the path decides)."""
    user = getattr(request, "user", None)
    return request.path_info.startswith(API_PREFIX) or bool(
        user is not None and user.is_authenticated
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if holds_private_data(request):
            # A view that already said no-store (the CSV export) keeps its header.
            if "no-store" not in response.get("Cache-Control", ""):
                add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response
