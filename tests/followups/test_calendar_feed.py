import pytest

from cases.models import Concern
from followups import services
from navigator.models import AuditAction, AuditEvent, Membership, Role, User
from tests.factories import EncounterFactory, PersonFactory
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db


def test_feed_lists_open_followups_without_names_or_health_details(
    client, navigator_a, program_a
):
    person = PersonFactory(program=program_a, first_name="Quentin", last_name="Xylo")
    encounter = EncounterFactory(person=person, concerns=[Concern.SUBSTANCE_USE])
    open_one = schedule(
        navigator_a,
        person=person,
        encounter=encounter,
        purpose="talk about detox options",
        in_minutes=600,
    )
    done = schedule(navigator_a, person=person, in_minutes=700)
    services.followup_complete(by=navigator_a, followup=done, outcome="reached")
    _, token = services.calendar_feed_create(by=navigator_a)

    response = client.get(f"/followups/calendar/{token}.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert f"UID:followup-{open_one.pk}@navigator" in body
    assert f"UID:followup-{done.pk}@navigator" not in body
    for secret in ("Quentin", "Xylo", "detox", "substance"):
        assert secret.lower() not in body.lower()
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_new_feed_url_revokes_the_old_one(client, navigator_a):
    _, old = services.calendar_feed_create(by=navigator_a)
    _, new = services.calendar_feed_create(by=navigator_a)
    assert client.get(f"/followups/calendar/{old}.ics").status_code == 404
    assert client.get(f"/followups/calendar/{new}.ics").status_code == 200
    services.calendar_feed_revoke(by=navigator_a)
    assert client.get(f"/followups/calendar/{new}.ics").status_code == 404


def test_unknown_token_is_404(client, db):
    assert client.get("/followups/calendar/not-a-token.ics").status_code == 404


# --- who still gets a feed (issue 7) -----------------------------------------


def feed_status(client, token: str) -> int:
    return client.get(f"/followups/calendar/{token}.ics").status_code


def test_a_user_whose_membership_was_deactivated_gets_404(client, navigator_a):
    schedule(navigator_a, in_minutes=600)
    _, token = services.calendar_feed_create(by=navigator_a)
    assert feed_status(client, token) == 200

    Membership.objects.filter(user=navigator_a).update(is_active=False)

    # Not an empty calendar: the link itself stops working.
    assert feed_status(client, token) == 404


def test_a_deactivated_user_gets_404(client, navigator_a):
    _, token = services.calendar_feed_create(by=navigator_a)
    User.objects.filter(pk=navigator_a.pk).update(is_active=False)
    assert feed_status(client, token) == 404


def test_a_user_left_with_a_role_that_sees_no_records_gets_404(
    client, navigator_a, program_a
):
    _, token = services.calendar_feed_create(by=navigator_a)
    Membership.objects.filter(user=navigator_a).update(is_active=False)
    Membership.objects.create(user=navigator_a, program=program_a, role=Role.ADMIN)
    assert feed_status(client, token) == 404


def test_a_user_still_staff_elsewhere_keeps_the_feed(client, navigator_a, program_b):
    _, token = services.calendar_feed_create(by=navigator_a)
    Membership.objects.filter(user=navigator_a).update(is_active=False)
    Membership.objects.create(user=navigator_a, program=program_b, role=Role.NAVIGATOR)
    assert feed_status(client, token) == 200


# --- audit (issue 7) ---------------------------------------------------------


def feed_events():
    return AuditEvent.objects.filter(object_type="followups.calendarfeed").order_by(
        "id"
    )


def test_creating_a_feed_is_audited_without_its_secret(navigator_a):
    feed, token = services.calendar_feed_create(by=navigator_a)

    (event,) = feed_events()
    assert (event.action, event.actor, event.object_id) == (
        AuditAction.CREATE,
        navigator_a,
        str(feed.pk),
    )
    assert event.person_id is None
    assert token not in str(event.changes) and feed.token_hash not in str(event.changes)


def test_a_new_feed_audits_the_revocation_of_the_old_one(navigator_a):
    old, _ = services.calendar_feed_create(by=navigator_a)
    new, _ = services.calendar_feed_create(by=navigator_a)

    events = [(e.action, e.object_id) for e in feed_events()]
    assert events == [
        (AuditAction.CREATE, str(old.pk)),
        (AuditAction.DELETE, str(old.pk)),
        (AuditAction.CREATE, str(new.pk)),
    ]
    revoked = feed_events().get(action=AuditAction.DELETE)
    assert revoked.reason == "A new calendar link replaced it."
    assert revoked.changes["revoked_at"][0] is None


def test_revoking_is_audited_once_and_revoking_nothing_writes_nothing(navigator_a):
    feed, _ = services.calendar_feed_create(by=navigator_a)

    assert services.calendar_feed_revoke(by=navigator_a) == 1
    assert services.calendar_feed_revoke(by=navigator_a) == 0

    revoked = feed_events().filter(action=AuditAction.DELETE)
    assert [(e.object_id, e.actor) for e in revoked] == [(str(feed.pk), navigator_a)]
    assert revoked.get().reason == "Revoked by its owner."


def test_the_pages_write_the_same_events(client, navigator_a):
    client.force_login(navigator_a)
    client.post("/followups/preferences/calendar/new/")
    client.post("/followups/preferences/calendar/revoke/")
    assert [e.action for e in feed_events()] == [AuditAction.CREATE, AuditAction.DELETE]
