"""``/api/v1/referrals/``: list, create, detail, update, one action per
move, the notes thread, and sending one need to several services.

Written out like ``cases.api.urls``: ``<int:…>`` types the ids in the
schema, and anything else falls through to the API's JSON 404. The actions
are spelt as FHIR spells the statuses (``enter-in-error``).
"""

from __future__ import annotations

from django.urls import path

from referrals.api.views import ReferralNoteViewSet, ReferralViewSet

# URL segment -> viewset method (``request`` is the view's request object).
MOVES = {
    "request": "request_",
    "accept": "accept",
    "reject": "reject",
    "start": "start",
    "hold": "hold",
    "resume": "resume",
    "complete": "complete",
    "cancel": "cancel",
    "enter-in-error": "enter_in_error",
}

urlpatterns = [
    path(
        "referrals/",
        ReferralViewSet.as_view({"get": "list", "post": "create"}),
        name="api-referral-list",
    ),
    path(
        "referrals/groups/",
        ReferralViewSet.as_view({"post": "send_group"}),
        name="api-referral-group",
    ),
    path(
        "referrals/<int:pk>/",
        ReferralViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="api-referral-detail",
    ),
    path(
        "referrals/<int:referral_pk>/notes/",
        ReferralNoteViewSet.as_view({"get": "list", "post": "create"}),
        name="api-referral-notes",
    ),
    *(
        path(
            f"referrals/<int:pk>/{segment}/",
            ReferralViewSet.as_view({"post": method}),
            name=f"api-referral-{segment}",
        )
        for segment, method in MOVES.items()
    ),
]
