"""The outbox through real processes: an encounter saved while Redis is down
is evaluated for familiar faces by a real worker once beat's outbox sweep
publishes it (PostgreSQL + Redis; skips, or fails under
NAVIGATOR_REQUIRE_SERVICES=1, without them)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.models import FamiliarFaceFlag, FamiliarFacesRule, FlagStatus
from navigator.models import QueuedTask, Role
from tests.broker import broker_refusing
from tests.factories import EncounterFactory, PersonFactory, ProgramFactory, member
from tests.followups.test_reminders_with_workers import _wait, stack  # noqa: F401
from tests.navigator.test_broker_outage import _api_client


# ``stack`` (worker and beat processes) is the reminders tests' fixture.
@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_work_saved_during_an_outage_is_done_by_workers_once_redis_is_back(stack):  # noqa: F811
    program = ProgramFactory()
    navigator = member(program, Role.NAVIGATOR)
    FamiliarFacesRule.objects.create(
        program=program, name="2 in 30 days", min_encounters=2, window_days=30
    )
    person = PersonFactory(program=program)
    EncounterFactory(
        person=person,
        program=program,
        started_at=timezone.now() - datetime.timedelta(days=3),
    )
    with broker_refusing():
        response = _api_client(navigator).post(
            "/api/v1/encounters/",
            {
                "person": person.pk,
                "started_at": (
                    timezone.now() - datetime.timedelta(hours=1)
                ).isoformat(),
                "source": "911_call",
                "disposition": "resolved_on_scene",
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    assert QueuedTask.objects.count() == 1
    assert not FamiliarFaceFlag.objects.exists()

    stack.env["OUTBOX_SWEEP_SECONDS"] = "1"
    stack.beat()
    stack.worker("w1")
    _wait(
        lambda: FamiliarFaceFlag.objects.filter(
            person=person, status=FlagStatus.ACTIVE
        ).exists(),
        90,
        "the flag raised by the worker",
    )
    _wait(lambda: not QueuedTask.objects.exists(), 30, "an empty outbox")
    log = (stack.tmp / "w1.log").read_text()
    assert "Task navigator.tasks.publish_queued_tasks[" in log
    assert "Task cases.tasks.familiar_faces_evaluate_person[" in log
