"""The user's own notification preferences and private calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from followups import calendar, selectors, services
from followups.forms import NotificationPreferenceForm
from followups.views._common import _failed
from navigator.errors import DomainError
from navigator.http import AuthedRequest
from navigator.links import absolute_url


def _preferences_page(
    request: AuthedRequest,
    *,
    form: NotificationPreferenceForm | None = None,
    feed_url: str = "",
    status: int = 200,
) -> HttpResponse:
    preference = selectors.notification_preference_for(user=request.user)
    return render(
        request,
        "followups/preferences.html",
        {
            "form": form or NotificationPreferenceForm(preference=preference),
            "feed": selectors.calendar_feed_active_for(user=request.user),
            "feed_url": feed_url,
        },
        status=status,
    )


@login_required
def preferences(request: AuthedRequest) -> HttpResponse:
    if request.method != "POST":
        return _preferences_page(request)
    form = NotificationPreferenceForm(
        request.POST,
        preference=selectors.notification_preference_for(user=request.user),
    )
    status = 200
    if form.is_valid():
        try:
            services.notification_preference_set(
                by=request.user,
                channel=form.cleaned_data["channel"],
                phone=form.cleaned_data["phone"],
            )
        except DomainError as exc:
            status = _failed(request, exc, form)
        else:
            messages.success(request, "Notification preferences saved.")
            return redirect("followup-preferences")
    return _preferences_page(request, form=form, status=status)


@never_cache
@login_required
@require_POST
def calendar_feed_create(request: AuthedRequest) -> HttpResponse:
    """A new private feed URL, shown in this one response and never again."""
    _feed, token = services.calendar_feed_create(by=request.user)
    url = absolute_url(reverse("followup-calendar-feed", args=[token]))
    messages.success(
        request, "New calendar link created. Any earlier link no longer works."
    )
    return _preferences_page(request, feed_url=url)


@login_required
@require_POST
def calendar_feed_revoke(request: AuthedRequest) -> HttpResponse:
    if services.calendar_feed_revoke(by=request.user):
        messages.success(request, "Calendar link revoked. It no longer works.")
    return redirect(reverse("followup-preferences") + "#calendar")


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
