"""The person page's familiar-faces panel."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from cases import selectors as cases_selectors
from cases.familiar import selectors, services
from cases.models import Person
from navigator.http import AuthedRequest
from navigator.models import User


def person_panel_context(user: User, person: Person) -> dict[str, Any]:
    """What the panel template needs; shared with the ``familiar_faces`` tags.
    Whoever renders it shows part of the person's record: noted here."""
    selectors.familiar_person_access(user=user, person=person, action="view")
    summary = selectors.familiar_person_summary(person=person)
    services.familiar_person_panel_viewed(
        by=user,
        person=person,
        flags=summary["flags"],
        enrollment=summary["enrollment"],
    )
    return {
        "person": person,
        **summary,
        "is_manager": selectors.familiar_person_allowed(
            user=user, person=person, action="enroll"
        ),
    }


@login_required
@require_GET
def familiar_person_panel(request: AuthedRequest, person_id: int) -> HttpResponse:
    """The panel the person page loads when it scrolls into view (htmx), or,
    without JavaScript, a page of its own."""
    person = cases_selectors.person_get_for(user=request.user, person_id=person_id)
    context = person_panel_context(request.user, person)
    fragment = bool(request.headers.get("HX-Request"))
    response = render(
        request,
        "familiar/_person_panel.html" if fragment else "familiar/person_panel.html",
        context,
    )
    # One URL, two bodies: a cache must not hand the fragment to a browser.
    patch_vary_headers(response, ["HX-Request"])
    return response
