"""Familiar faces: rules, evaluation (incremental and full), the manager's list.

- ``evaluation``: which people match a rule now, in set-based queries;
  reconciling that with the stored flags (raised / cleared flags audited as
  the system's).
- ``services``: rule changes, dismissals, enrollments, the export (audited);
  ``familiar_faces_evaluate_program``, the one full evaluation every front
  door runs (default rule first).
- ``selectors``: who may see and do what (one access function per entity and
  action), the list, per-person charts and outcome figures.
- ``api`` / ``api_urls``: ``/api/v1/familiar-faces/`` (included by
  ``navigator.api.urls``); ``views/`` (one module per concern) / ``urls``:
  the pages (``navigator.urls``).
- ``triggers``: what the core's writes set off here (registered by
  ``cases.apps``, so the core never imports this feature).

Its Celery tasks are ``cases.tasks`` and its template tags
``cases.templatetags.familiar_faces``, where Celery and Django look for them;
they sit in this feature's layer (docs/decisions/0010-layers.md).
"""
