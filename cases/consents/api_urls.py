"""``/api/v1/people/<id>/consents/`` and ``/api/v1/consents/…``: the consents
slice's API routes, included by the API's root (``navigator.api.urls``)."""

from django.urls import path

from cases.consents.api import ConsentFormViewSet, ConsentViewSet, PersonConsentViewSet

urlpatterns = [
    path(
        "people/<int:person_pk>/consents/",
        PersonConsentViewSet.as_view({"get": "list", "post": "create"}),
        name="api-consent-list",
    ),
    path(
        "consents/<int:pk>/",
        ConsentViewSet.as_view({"get": "retrieve"}),
        name="api-consent-detail",
    ),
    path(
        "consents/<int:pk>/revoke/",
        ConsentViewSet.as_view({"post": "revoke"}),
        name="api-consent-revoke",
    ),
    path(
        "consents/<int:pk>/form/",
        ConsentFormViewSet.as_view({"get": "download_form", "post": "attach_form"}),
        name="api-consent-form",
    ),
]
