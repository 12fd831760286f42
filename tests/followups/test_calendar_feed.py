import pytest

from cases.models import Concern
from followups import services
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
