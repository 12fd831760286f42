"""Familiar faces: rules, evaluation (incremental and full), the manager's list.

- ``evaluation``: which people match a rule now, in set-based queries;
  reconciling that with the stored flags.
- ``services``: rule changes, dismissals, enrollments (audited).
- ``selectors``: the list, per-person charts and outcome figures.
- ``api`` / ``api_urls``: ``/api/v1/familiar-faces/`` (included by
  ``navigator.api.urls``); ``views`` / ``urls``: the pages (``navigator.urls``).
- ``triggers``: what the core's writes set off here (registered by
  ``cases.apps``, so the core never imports this feature).

Its Celery tasks are ``cases.tasks`` and its template tags
``cases.templatetags.familiar_faces``, where Celery and Django look for them;
they sit in this feature's layer (docs/decisions/0010-layers.md).
"""
