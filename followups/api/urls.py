"""``/api/v1/followups/`` and ``/api/v1/followups/deliveries/``.

Written out like ``cases.api.urls``: ``<int:…>`` types the ids in the schema,
and anything else falls through to the API's JSON 404. Deliveries sit under
``followups/`` because they are the follow-ups' reminders (DESIGN.md lists
``followups`` as the API resource); ``deliveries`` never matches ``<int:pk>``.
"""

from django.urls import path

from followups.api.views import DeliveryViewSet, FollowupViewSet

urlpatterns = [
    path(
        "followups/",
        FollowupViewSet.as_view({"get": "list", "post": "create"}),
        name="api-followup-list",
    ),
    path(
        "followups/deliveries/",
        DeliveryViewSet.as_view({"get": "list"}),
        name="api-delivery-list",
    ),
    path(
        "followups/<int:pk>/",
        FollowupViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="api-followup-detail",
    ),
    path(
        "followups/<int:pk>/complete/",
        FollowupViewSet.as_view({"post": "complete"}),
        name="api-followup-complete",
    ),
    path(
        "followups/<int:pk>/attempt/",
        FollowupViewSet.as_view({"post": "attempt"}),
        name="api-followup-attempt",
    ),
    path(
        "followups/<int:pk>/undo/",
        FollowupViewSet.as_view({"post": "undo"}),
        name="api-followup-undo",
    ),
    path(
        "followups/<int:pk>/missed/",
        FollowupViewSet.as_view({"post": "missed"}),
        name="api-followup-missed",
    ),
    path(
        "followups/<int:pk>/cancel/",
        FollowupViewSet.as_view({"post": "cancel"}),
        name="api-followup-cancel",
    ),
]
