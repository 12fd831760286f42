"""navigator.bulk.BulkLoader.create: instances in bulk (COPY on PostgreSQL)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from navigator.bulk import BulkLoader
from navigator.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def test_create_stores_instances_as_bulk_create_would(program_a):
    then = datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.UTC)
    before = timezone.now()
    events = [
        AuditEvent(
            action=AuditAction.CREATE,
            object_type="x",
            object_id=str(n),
            program_id=program_a.pk,
            changes={"name": [None, f"Zoë {n}"], "n": [None, n]},
        )
        for n in range(3)
    ]
    events[1].at = then
    BulkLoader().create(events)
    assert all(e.pk and not e._state.adding for e in events)
    stored = {e.object_id: e for e in AuditEvent.objects.filter(object_type="x")}
    assert stored["1"].at == then  # a time stamp already set is kept
    assert stored["0"].at >= before  # an empty one is filled
    assert stored["2"].changes == {"name": [None, "Zoë 2"], "n": [None, 2]}
    assert stored["2"].pk == events[2].pk
