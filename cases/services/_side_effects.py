"""Work queued by the case services once their transaction commits."""

from __future__ import annotations

from django.db import transaction


def queue_familiar_faces(*person_ids: int | None) -> None:
    """Re-evaluate these people's familiar-faces flags once this commits
    (a rolled-back change queues nothing)."""
    from cases.tasks import familiar_faces_evaluate_person

    for person_id in sorted({pid for pid in person_ids if pid is not None}):
        transaction.on_commit(
            lambda pid=person_id: familiar_faces_evaluate_person.delay(pid)
        )
