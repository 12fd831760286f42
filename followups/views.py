from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from followups import calendar, selectors, services


@never_cache
def calendar_feed(request, token: str):
    """The private feed URL is the credential; a revoked one is 404."""
    user = services.calendar_feed_user(token=token)
    if user is None:
        raise Http404
    body = calendar.followups_ics(
        selectors.followups_for_calendar(user=user), now=timezone.now()
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="navigator-followups.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
