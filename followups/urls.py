from django.urls import path

from followups import views

urlpatterns = [
    path("followups/", views.followup_list, name="followup-list"),
    path("followups/new/", views.followup_schedule, name="followup-schedule"),
    # Reminder emails link here (followups.texts.followup_url): keep the path.
    path("followups/<int:followup_id>/", views.followup_detail, name="followup-detail"),
    path(
        "followups/<int:followup_id>/complete/",
        views.followup_complete,
        name="followup-complete",
    ),
    path(
        "followups/<int:followup_id>/attempt/",
        views.followup_attempt,
        name="followup-attempt",
    ),
    path(
        "followups/<int:followup_id>/undo/",
        views.followup_undo,
        name="followup-undo",
    ),
    path(
        "followups/<int:followup_id>/missed/",
        views.followup_missed,
        name="followup-missed",
    ),
    path(
        "followups/<int:followup_id>/cancel/",
        views.followup_cancel,
        name="followup-cancel",
    ),
    path(
        "followups/<int:followup_id>/reschedule/",
        views.followup_reschedule,
        name="followup-reschedule",
    ),
    path(
        "followups/<int:followup_id>/reassign/",
        views.followup_reassign,
        name="followup-reassign",
    ),
    path(
        "followups/plan/<int:encounter_id>/",
        views.followup_plan,
        name="followup-plan",
    ),
    path("followups/overdue/", views.overdue, name="followup-overdue"),
    path("followups/deliveries/", views.deliveries, name="followup-deliveries"),
    path("followups/settings/", views.followup_settings, name="followup-settings"),
    path(
        "followups/settings/steps/",
        views.plan_step_add,
        name="followup-plan-step-add",
    ),
    path(
        "followups/settings/steps/<int:step_id>/remove/",
        views.plan_step_remove,
        name="followup-plan-step-remove",
    ),
    path("followups/preferences/", views.preferences, name="followup-preferences"),
    path(
        "followups/preferences/calendar/new/",
        views.calendar_feed_create,
        name="followup-calendar-create",
    ),
    path(
        "followups/preferences/calendar/revoke/",
        views.calendar_feed_revoke,
        name="followup-calendar-revoke",
    ),
    path(
        "followups/calendar/<str:token>.ics",
        views.calendar_feed,
        name="followup-calendar-feed",
    ),
]
