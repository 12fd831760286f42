"""A staff user's own notification channel and private calendar feed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from followups.models import CalendarFeed, NotificationPreference
from navigator.models import AuditEvent, Role
from tests.factories import member
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db

PAGES = [
    ("get", "followup-preferences"),
    ("post", "followup-preferences"),
    ("post", "followup-calendar-create"),
    ("post", "followup-calendar-revoke"),
]


def test_preferences_require_login(client):
    for method, name in PAGES:
        response = getattr(client, method)(reverse(name))
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("login")), name
    assert not CalendarFeed.objects.exists()


def test_preferences_are_for_staff_only(client, program_a):
    for role in (Role.ADMIN, Role.PARTNER):
        client.force_login(member(program_a, role))
        for method, name in PAGES:
            refused = getattr(client, method)(reverse(name))
            assert refused.status_code == 403, name
            assert "for a program&#x27;s staff" in refused.text
    assert not CalendarFeed.objects.exists()


def test_set_channel_and_phone(client, navigator_a):
    client.force_login(navigator_a)
    page = client.get(reverse("followup-preferences"))
    assert page.status_code == 200
    assert 'value="email"' in page.text and "checked" in page.text
    refused = client.post(
        reverse("followup-preferences"), {"channel": "sms", "phone": ""}
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors["phone"] == [
        "Text reminders need a phone number."
    ]
    assert not NotificationPreference.objects.exists()
    saved = client.post(
        reverse("followup-preferences"), {"channel": "sms", "phone": "555-0100"}
    )
    assert saved.status_code == 302
    pref = NotificationPreference.objects.get(user=navigator_a)
    assert (pref.channel, pref.phone) == ("sms", "555-0100")
    client.post(reverse("followup-preferences"), {"channel": "digest_only"})
    pref.refresh_from_db()
    assert pref.channel == "digest_only"
    # Each change audited as the user's own (issue 8); saving it unchanged
    # writes nothing.
    client.post(reverse("followup-preferences"), {"channel": "digest_only"})
    events = AuditEvent.objects.filter(
        object_type="followups.notificationpreference"
    ).order_by("id")
    assert [(e.action, e.actor_id) for e in events] == [
        ("create", navigator_a.pk),
        ("update", navigator_a.pk),
    ]
    assert events[0].changes == {"channel": [None, "sms"], "phone": [None, "555-0100"]}
    assert events[1].changes == {
        "channel": ["sms", "digest_only"],
        "phone": ["555-0100", ""],
    }


def feed_url_in(html: str) -> str:
    match = re.search(r'value="(http://[^"]+\.ics)"', html)
    assert match, "the new feed URL is shown"
    return match.group(1)


def test_calendar_feed_create_shows_url_once_and_recreate_revokes(
    client, navigator_a, settings
):
    settings.SITE_URL = "http://nav.example.org:8101"
    schedule(navigator_a, in_minutes=120)
    client.force_login(navigator_a)
    assert "No calendar link." in client.get(reverse("followup-preferences")).text
    created = client.post(reverse("followup-calendar-create"))
    assert created.status_code == 200
    assert (
        "no-store" in created["Cache-Control"]
        or "no-cache" in (created["Cache-Control"])
    )
    first = feed_url_in(created.text)
    # On SITE_URL, not on the Host the request came with (testserver).
    assert first.startswith("http://nav.example.org:8101/"), first
    assert "data-copy-button" in created.text  # the copy button
    feed = client.get(first.split(":8101", 1)[1])
    assert feed.status_code == 200 and "BEGIN:VCALENDAR" in feed.text
    # Shown once: the page afterwards says a link exists, without the URL.
    later = client.get(reverse("followup-preferences")).text
    assert "A calendar link is active" in later and first not in later
    # Creating again revokes the first one.
    second = feed_url_in(client.post(reverse("followup-calendar-create")).text)
    assert second != first
    assert client.get(first.split(":8101", 1)[1]).status_code == 404
    assert client.get(second.split(":8101", 1)[1]).status_code == 200
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1


def test_calendar_feed_revoke(client, navigator_a):
    client.force_login(navigator_a)
    url = feed_url_in(client.post(reverse("followup-calendar-create")).text)
    response = client.post(reverse("followup-calendar-revoke"))
    assert response.status_code == 302
    after = client.get(response.url).text
    assert "No calendar link." in after and "Calendar link revoked" in after
    assert client.get(urlsplit(url).path).status_code == 404


def test_calendar_actions_are_post_only(client, navigator_a):
    client.force_login(navigator_a)
    assert client.get(reverse("followup-calendar-create")).status_code == 405
    assert client.get(reverse("followup-calendar-revoke")).status_code == 405
    assert not CalendarFeed.objects.exists()
