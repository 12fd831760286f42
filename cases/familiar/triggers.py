"""What the core's writes set off here: re-evaluating the people they changed.

``cases.services`` cannot import this feature (it sits above the core,
docs/decisions/0010-layers.md); ``cases.apps`` registers
``queue_people_evaluation`` with ``cases.services._side_effects`` at startup.
"""

from __future__ import annotations

from collections.abc import Sequence

from cases import tasks
from navigator import outbox


def queue_people_evaluation(person_ids: Sequence[int]) -> None:
    """Queue each person's evaluation once the caller's transaction commits."""
    for person_id in person_ids:
        outbox.enqueue(tasks.familiar_faces_evaluate_person, person_id)
