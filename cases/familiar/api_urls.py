"""``/api/v1/familiar-faces/``: the familiar-faces slice's API routes.

Included by the API's root (``navigator.api.urls``) beside ``cases.api.urls``,
so the people and encounter API never imports the feature above it
(docs/decisions/0010-layers.md). Names and paths are the ones they always had.
"""

from django.urls import path

from cases.familiar.api import FamiliarFaceViewSet

urlpatterns = [
    path(
        "familiar-faces/",
        FamiliarFaceViewSet.as_view({"get": "list"}),
        name="api-familiar-face-list",
    ),
    path(
        "familiar-faces/<int:pk>/",
        FamiliarFaceViewSet.as_view({"get": "retrieve"}),
        name="api-familiar-face-detail",
    ),
    path(
        "familiar-faces/<int:pk>/dismiss/",
        FamiliarFaceViewSet.as_view({"post": "dismiss"}),
        name="api-familiar-face-dismiss",
    ),
    path(
        "familiar-faces/<int:pk>/enroll/",
        FamiliarFaceViewSet.as_view({"post": "enroll"}),
        name="api-familiar-face-enroll",
    ),
]
