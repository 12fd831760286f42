"""Absolute links to this site, built on ``settings.SITE_URL``.

One place for the site's address: a reminder sent by a worker has no request
to ask, and a request's Host header is what the client (or a proxy) said,
not where users reach the site. Pages keep relative links; only what leaves
the browser (an email, a text, a calendar feed URL, an API's page links)
needs an absolute one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def site_url() -> str:
    """``SITE_URL`` without a trailing slash, checked: scheme and host only."""
    url = settings.SITE_URL.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
        raise ImproperlyConfigured(
            f"SITE_URL must be http(s)://host[:port] with no path, not {url!r}."
        )
    return url


def absolute_url(path: str) -> str:
    """The site-absolute ``path`` (with its query string, if any) as a full URL."""
    if not path.startswith("/"):
        raise ValueError(f"absolute_url() takes a path from the site root: {path!r}")
    return site_url() + path
