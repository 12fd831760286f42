"""``/api/v1/agencies/`` and ``/api/v1/services/``: the directory's API
routes, included by the API's root (``navigator.api.urls``) before its
catch-all. Written out, as ``cases.api.urls`` explains."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import path

from referrals.directory.api import AgencyViewSet, ServiceViewSet

if TYPE_CHECKING:
    from rest_framework.decorators import ViewSetAction

    Actions = dict[str, str | ViewSetAction]

LIST: Actions = {"get": "list"}
DETAIL: Actions = {"get": "retrieve"}
SERVICE_DETAIL: Actions = {"get": "retrieve", "patch": "partial_update"}

urlpatterns = [
    path("agencies/", AgencyViewSet.as_view(LIST), name="api-agency-list"),
    path("agencies/<int:pk>/", AgencyViewSet.as_view(DETAIL), name="api-agency-detail"),
    path("services/", ServiceViewSet.as_view(LIST), name="api-service-list"),
    path(
        "services/<int:pk>/",
        ServiceViewSet.as_view(SERVICE_DETAIL),
        name="api-service-detail",
    ),
]
