"""Pages under ``/familiar-faces/`` (namespace ``familiar``)."""

from django.urls import path

from cases.familiar import views

app_name = "familiar"

urlpatterns = [
    path("", views.familiar_list, name="list"),
    path("export.csv", views.familiar_export, name="export"),
    path("<int:flag_id>/enroll/", views.familiar_enroll, name="enroll"),
    path("<int:flag_id>/dismiss/", views.familiar_dismiss, name="dismiss"),
    path(
        "enrollments/<int:enrollment_id>/end/",
        views.familiar_enrollment_end,
        name="enrollment-end",
    ),
    path("rules/", views.familiar_rules, name="rules"),
    path("rules/new/", views.familiar_rule_create, name="rule-create"),
    path("rules/<int:rule_id>/edit/", views.familiar_rule_edit, name="rule-edit"),
    path("rules/<int:rule_id>/active/", views.familiar_rule_active, name="rule-active"),
    path("outcomes/", views.familiar_outcomes, name="outcomes"),
    path("history/", views.familiar_history, name="history"),
    path(
        "people/<int:person_id>/",
        views.familiar_person_panel,
        name="person-panel",
    ),
]
