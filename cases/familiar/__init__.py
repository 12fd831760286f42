"""Familiar faces: rules, evaluation (incremental and full), the manager's list.

- ``evaluation``: which people match a rule now, in set-based queries;
  reconciling that with the stored flags.
- ``services``: rule changes, dismissals, enrollments (audited).
- ``selectors``: the list, per-person charts and outcome figures.
"""
