"""Familiar-faces pages, by concern: the list and its CSV (``lists``), the
manager's actions on a row (``flags``), rules (``rules``), outcomes and
history (``outcomes``), the person page's panel (``panel``).

Who may open what is decided by the access functions of
``cases.familiar.selectors`` (called by the selectors and services the views
use); the one page mapping (``navigator.views.AccessErrorsMiddleware``)
turns their answer into the page's status: out of scope → 404, in scope but
not for the role → 403 with the reason.
"""

from cases.familiar.views.flags import (
    familiar_dismiss,
    familiar_enroll,
    familiar_enrollment_end,
)
from cases.familiar.views.lists import familiar_export, familiar_list
from cases.familiar.views.outcomes import familiar_history, familiar_outcomes
from cases.familiar.views.panel import familiar_person_panel, person_panel_context
from cases.familiar.views.rules import (
    familiar_rule_active,
    familiar_rule_create,
    familiar_rule_edit,
    familiar_rules,
)

__all__ = [
    "familiar_dismiss",
    "familiar_enroll",
    "familiar_enrollment_end",
    "familiar_export",
    "familiar_history",
    "familiar_list",
    "familiar_outcomes",
    "familiar_person_panel",
    "familiar_rule_active",
    "familiar_rule_create",
    "familiar_rule_edit",
    "familiar_rules",
    "person_panel_context",
]
