"""A referral's attachments; mounted under ``referrals/`` by navigator/urls.py."""

from django.urls import path

from referrals import attachment_views as views

urlpatterns = [
    path(
        "<int:pk>/attachments/",
        views.referral_attachment_add,
        name="referral-attachment-add",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.referral_attachment,
        name="referral-attachment",
    ),
]
