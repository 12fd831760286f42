"""Work queued by the case services, in their transaction (navigator.outbox).

Familiar faces re-evaluates the people an encounter or record change touched.
That feature sits above the core (docs/decisions/0010-layers.md), so the core
does not import it: the familiar-faces slice hands over how to queue the work
at startup (``cases.familiar.triggers``, registered by ``cases.apps``), and
the services call ``queue_familiar_faces`` inside their transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.core.exceptions import ImproperlyConfigured

# Takes the sorted, distinct ids of the people changed; queues with
# navigator.outbox.enqueue, so a rolled-back change queues nothing.
FamiliarFacesQueue = Callable[[Sequence[int]], None]

_familiar_faces_queue: FamiliarFacesQueue | None = None


def register_familiar_faces_queue(queue: FamiliarFacesQueue) -> None:
    """Called once, by ``cases.apps.CasesConfig.ready``."""
    global _familiar_faces_queue
    _familiar_faces_queue = queue


def queue_familiar_faces(*person_ids: int | None) -> None:
    """Re-evaluate these people's familiar-faces flags once this commits
    (a rolled-back change queues nothing; a broker outage only delays it)."""
    ids = sorted({pid for pid in person_ids if pid is not None})
    if not ids:
        return
    if _familiar_faces_queue is None:
        # Loud, not silent: a change that skipped the evaluation would leave
        # stale flags until the nightly run.
        raise ImproperlyConfigured(
            "No familiar-faces queue is registered (cases.apps registers it)."
        )
    _familiar_faces_queue(ids)
