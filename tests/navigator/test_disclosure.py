"""navigator.disclosure: one event per person per request, written only when
what the view noted went out; outside a request, at once or per block."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.http import Http404, HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import path

from navigator import disclosure
from navigator.audit import audit_record
from navigator.context import audit_context
from navigator.models import AuditAction, AuditEvent
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _note(by, person, kind=disclosure.PERSON_NAME, object_id=None, listed=True):
    disclosure.note(
        by=by,
        person_id=person.pk,
        program_id=person.program_id,
        kind=kind,
        object_id=person.pk if object_id is None else object_id,
        listed=listed,
    )


# --- views for the middleware, at their own URLs ------------------------------

SHOWN: dict[str, object] = {}


def shows(request):
    _note(request.user, SHOWN["person"])
    return HttpResponse("ok")


def shows_then_404(request):
    _note(request.user, SHOWN["person"])
    raise Http404


def shows_then_fails(request):
    _note(request.user, SHOWN["person"])
    return HttpResponse("broken", status=500)


def shows_as_api_error(request):
    # What DRF hands back for an exception it turned into a response.
    _note(request.user, SHOWN["person"])
    response = HttpResponse("{}", status=400)
    response.exception = True  # type: ignore[attr-defined]  # as DRF marks one
    return response


def _change(request, person) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.UPDATE,
        obj=person,
        person_id=person.pk,
        program_id=person.program_id,
        changes={"city": ["a", "b"]},
    )


def changes_and_shows(request):
    person = SHOWN["person"]
    _change(request, person)
    _note(request.user, person, disclosure.PERSON, listed=False)
    return HttpResponse("ok")


def rolled_back_change_then_shows(request):
    person = SHOWN["person"]
    try:
        with transaction.atomic():
            _change(request, person)
            raise ValueError("refused")
    except ValueError:
        pass  # as a form page does with a DomainError: shows the form again
    _note(request.user, person, disclosure.PERSON, listed=False)
    return HttpResponse("the form again")


urlpatterns = [
    path("shows/", shows, name="shows"),
    path("shows-then-404/", shows_then_404, name="shows-then-404"),
    path("shows-then-fails/", shows_then_fails, name="shows-then-fails"),
    path("api-error/", shows_as_api_error, name="api-error"),
    path("changes/", changes_and_shows, name="changes"),
    path("rolled-back/", rolled_back_change_then_shows, name="rolled-back"),
]


@pytest.fixture
def shown_person(program_a):
    SHOWN["person"] = PersonFactory(program=program_a)
    yield SHOWN["person"]
    SHOWN.clear()


@pytest.mark.urls(__name__)
class TestMiddleware:
    def test_what_went_out_is_one_event_with_its_door(
        self, client, navigator_a, shown_person
    ):
        client.force_login(navigator_a)
        response = client.get("/shows/", HTTP_X_REQUEST_ID="req-shows-1")
        assert response.status_code == 200
        event = AuditEvent.objects.get()
        assert (event.person_id, event.program_id, event.actor) == (
            shown_person.pk,
            shown_person.program_id,
            navigator_a,
        )
        assert (event.action, event.disclosed) == (
            AuditAction.LIST,
            {disclosure.PERSON_NAME: [shown_person.pk]},
        )
        assert (event.endpoint, event.source, event.request_id) == (
            "shows",
            "web",
            "req-shows-1",
        )

    @pytest.mark.parametrize("url", ["/shows-then-404/", "/shows-then-fails/"])
    def test_an_error_page_discloses_nothing(
        self, client, navigator_a, shown_person, url
    ):
        client.force_login(navigator_a)
        client.raise_request_exception = False
        assert client.get(url).status_code in (404, 500)
        assert not AuditEvent.objects.exists()

    def test_an_api_exception_response_discloses_nothing(
        self, client, navigator_a, shown_person
    ):
        client.force_login(navigator_a)
        assert client.get("/api-error/").status_code == 400
        assert not AuditEvent.objects.exists()

    def test_a_write_event_accounts_for_the_person(
        self, client, navigator_a, shown_person
    ):
        client.force_login(navigator_a)
        client.get("/changes/")
        event = AuditEvent.objects.get()
        assert (event.action, event.endpoint) == (AuditAction.UPDATE, "changes")

    def test_a_rolled_back_write_accounts_for_nothing(
        self, client, navigator_a, shown_person
    ):
        client.force_login(navigator_a)
        assert client.get("/rolled-back/").status_code == 200
        event = AuditEvent.objects.get()
        assert (event.action, event.disclosed) == (
            AuditAction.VIEW,
            {disclosure.PERSON: [shown_person.pk]},
        )


# --- the recorder --------------------------------------------------------------


class TestRecorder:
    def test_one_event_per_person_opened_wins_over_listed(self, navigator_a, program_a):
        ana, ben = PersonFactory.create_batch(2, program=program_a)
        context = audit_context(request_id="rid-2", source="task", endpoint="a-task")
        with context, disclosure.recording():
            _note(navigator_a, ana)
            _note(navigator_a, ana, disclosure.ENCOUNTER, 7)
            _note(navigator_a, ana, disclosure.ENCOUNTER, 3, listed=False)
            _note(navigator_a, ben)
            assert not AuditEvent.objects.exists()  # written at the end
        events = {e.person_id: e for e in AuditEvent.objects.all()}
        assert set(events) == {ana.pk, ben.pk}
        assert events[ana.pk].action == AuditAction.VIEW
        assert events[ana.pk].disclosed == {
            disclosure.ENCOUNTER: [3, 7],
            disclosure.PERSON_NAME: [ana.pk],
        }
        assert events[ben.pk].action == AuditAction.LIST
        assert {(e.source, e.request_id, e.endpoint) for e in events.values()} == {
            ("task", "rid-2", "a-task")
        }

    def test_outside_a_request_a_list_is_one_insert_at_once(
        self, navigator_a, program_a
    ):
        people = PersonFactory.create_batch(5, program=program_a)
        with CaptureQueriesContext(connection) as ctx:
            disclosure.people_shown(
                by=navigator_a, people=people, kind=disclosure.PERSON_SUMMARY
            )
        assert len(ctx.captured_queries) == 1
        assert AuditEvent.objects.count() == 5
        assert set(AuditEvent.objects.values_list("source", flat=True)) == {"command"}

    def test_a_block_that_raises_writes_nothing(self, navigator_a, program_a):
        person = PersonFactory(program=program_a)
        with pytest.raises(RuntimeError), disclosure.recording():
            _note(navigator_a, person)
            raise RuntimeError("the command failed")
        assert not AuditEvent.objects.exists()

    def test_unidentified_rows_are_nobodys_record(self, navigator_a, program_a):
        class Row:
            pk, person_id, program_id = 1, None, program_a.pk

        disclosure.records_shown(
            by=navigator_a, records=[Row()], kind=disclosure.ENCOUNTER
        )
        assert not AuditEvent.objects.exists()

    def test_an_unknown_kind_is_refused(self, navigator_a, program_a):
        with pytest.raises(ValueError, match="kind"):
            _note(navigator_a, PersonFactory(program=program_a), "person.everything")
