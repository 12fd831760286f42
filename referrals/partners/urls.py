"""A partner user's pages, under /partner/ (navigator/urls.py). Every name
here is in the boundary's allow-list (referrals.partners.middleware)."""

from __future__ import annotations

from django.urls import path

from referrals.partners import views

urlpatterns = [
    path("", views.partner_home, name="partner-home"),
    path("tokens/", views.partner_tokens, name="partner-tokens"),
    path(
        "tokens/<int:pk>/revoke/",
        views.partner_token_revoke_view,
        name="partner-token-revoke",
    ),
]
