"""Writes of follow-ups. Each is audited on the person's trail and (re)plans
the follow-up's reminders in the same transaction, so a rolled-back follow-up
leaves no reminder behind.

One module per concern; callers import from ``followups.services``:
``scheduling`` (schedule, edit, reschedule, reassign, an encounter with
its follow-up, the plan after an encounter), ``closing`` (complete, missed, cancel, attempts, undo), ``program_settings``
(a program's settings and default plan) and ``notifications`` (the user's
reminder preference and calendar feed, deliveries shown).
"""

from followups.services._common import AUDITED_FIELDS
from followups.services.closing import (
    COMPLETED_AT_MAX_AGE,
    COMPLETED_AT_RANGE_MESSAGE,
    UNDO_WINDOW,
    followup_attempt,
    followup_cancel,
    followup_complete,
    followup_mark_missed,
    followup_undo_close,
    followup_undo_possible,
)
from followups.services.notifications import (
    calendar_feed_create,
    calendar_feed_revoke,
    calendar_feed_user,
    deliveries_shown,
    notification_preference_set,
)
from followups.services.program_settings import (
    followup_plan_step_add,
    followup_plan_step_remove,
    followup_settings_update,
)
from followups.services.scheduling import (
    DUE_AT_RANGE,
    DUE_AT_RANGE_MESSAGE,
    FollowupAfterEncounter,
    due_at_in_range,
    due_at_local,
    due_in_days,
    encounter_log_with_followup,
    followup_reassign,
    followup_reschedule,
    followup_schedule,
    followup_update,
    followups_schedule_plan,
)

__all__ = [
    "AUDITED_FIELDS",
    "COMPLETED_AT_MAX_AGE",
    "COMPLETED_AT_RANGE_MESSAGE",
    "DUE_AT_RANGE",
    "DUE_AT_RANGE_MESSAGE",
    "FollowupAfterEncounter",
    "UNDO_WINDOW",
    "calendar_feed_create",
    "calendar_feed_revoke",
    "calendar_feed_user",
    "deliveries_shown",
    "due_at_in_range",
    "due_at_local",
    "due_in_days",
    "encounter_log_with_followup",
    "followup_attempt",
    "followup_cancel",
    "followup_complete",
    "followup_mark_missed",
    "followup_plan_step_add",
    "followup_plan_step_remove",
    "followup_reassign",
    "followup_reschedule",
    "followup_schedule",
    "followup_settings_update",
    "followup_undo_close",
    "followup_undo_possible",
    "followup_update",
    "followups_schedule_plan",
    "notification_preference_set",
]
