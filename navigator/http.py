"""Typed requests for views that only a signed-in user reaches.

``HttpRequest.user`` is ``User | AnonymousUser``; behind ``@login_required``
(pages) or ``IsAuthenticated`` (the API's default permission,
``REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]``) it is always a ``User``.
Annotating such a view's request as ``AuthedRequest`` / ``AuthedApiRequest``
says so to mypy. It is an annotation only: nothing checks it at run time, so
use it only where sign-in is enforced before the view runs.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from rest_framework.request import Request

from navigator.models import User

# Whoever a request is from, signed in or not: for the selectors that answer
# "nothing" to an anonymous user rather than refusing to be asked.
AnyUser: TypeAlias = User | AnonymousUser


class AuthedRequest(HttpRequest):
    """A page request behind ``@login_required``."""

    user: User


class AuthedApiRequest(Request):
    """An API request behind ``IsAuthenticated``."""

    user: User
