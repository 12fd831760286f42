"""Follow-up pages: parse, call one service or selector, render.

As in ``cases.views``: a follow-up outside the user's programs is 404, and so
are the managers' pages (overdue, deliveries, settings) for anyone who manages
no program. A service's DomainError lands on the form field it names; one
without a field (a 409, e.g. completing a cancelled follow-up) is a message on
the re-rendered page, with whatever was typed still in the form.

Layout: ``followup`` (the list, one follow-up and its actions), ``schedule``
(scheduling one, the plan after an encounter), ``managers`` (overdue,
deliveries, settings and plan steps), ``notifications`` (the user's own
preferences and calendar feed) and ``_common`` (helpers they share). Patch a
name where it is read, e.g. ``followups.views.followup.FOLLOWUP_FILTER_KEYS``.
"""

from followups.views.followup import (
    followup_attempt,
    followup_cancel,
    followup_complete,
    followup_detail,
    followup_list,
    followup_missed,
    followup_reassign,
    followup_reschedule,
    followup_undo,
)
from followups.views.managers import (
    deliveries,
    followup_settings,
    overdue,
    plan_step_add,
    plan_step_remove,
)
from followups.views.notifications import (
    calendar_feed,
    calendar_feed_create,
    calendar_feed_revoke,
    preferences,
)
from followups.views.schedule import followup_plan, followup_schedule

__all__ = [
    "calendar_feed",
    "calendar_feed_create",
    "calendar_feed_revoke",
    "deliveries",
    "followup_attempt",
    "followup_cancel",
    "followup_complete",
    "followup_detail",
    "followup_list",
    "followup_missed",
    "followup_plan",
    "followup_reassign",
    "followup_reschedule",
    "followup_schedule",
    "followup_settings",
    "followup_undo",
    "overdue",
    "plan_step_add",
    "plan_step_remove",
    "preferences",
]
