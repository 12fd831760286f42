"""Consent pages; mounted by the project's URLconf (navigator/urls.py)."""

from django.urls import path

from cases.consents import views

urlpatterns = [
    path(
        "people/<int:person_pk>/consents/",
        views.consent_list,
        name="consent-list",
    ),
    path(
        "people/<int:person_pk>/consents/add/",
        views.consent_add,
        name="consent-add",
    ),
    path("consents/<int:pk>/", views.consent_detail, name="consent-detail"),
    path("consents/<int:pk>/revoke/", views.consent_revoke, name="consent-revoke"),
    path(
        "consents/<int:pk>/in-error/",
        views.consent_mark_in_error,
        name="consent-mark-in-error",
    ),
    path("consents/<int:pk>/form/", views.consent_form_download, name="consent-form"),
]
