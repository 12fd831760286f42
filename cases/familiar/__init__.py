"""Familiar faces: rules, evaluation (incremental and full), the manager's list.

- ``evaluation``: which people match a rule now, in set-based queries;
  reconciling that with the stored flags (raised / cleared flags audited as
  the system's).
- ``services``: rule changes, dismissals, enrollments, the export (audited);
  ``familiar_faces_evaluate_program``, the one full evaluation every front
  door runs (default rule first).
- ``selectors``: who may see and do what (one access function per entity and
  action), the list, per-person charts and outcome figures.
- ``views/``: the pages, one module per concern; ``cases/api/familiar.py``
  the API.
"""
