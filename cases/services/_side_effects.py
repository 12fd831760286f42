"""Work queued by the case services, in their transaction (navigator.outbox)."""

from __future__ import annotations

from navigator import outbox


def queue_familiar_faces(*person_ids: int | None) -> None:
    """Re-evaluate these people's familiar-faces flags once this commits
    (a rolled-back change queues nothing; a broker outage only delays it)."""
    from cases.tasks import familiar_faces_evaluate_person

    for person_id in sorted({pid for pid in person_ids if pid is not None}):
        outbox.enqueue(familiar_faces_evaluate_person, person_id)
