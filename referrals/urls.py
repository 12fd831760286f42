"""The caseworker's referral pages, included by ``navigator.urls`` at
``referrals/``."""

from django.urls import path

from referrals import views

urlpatterns = [
    path("", views.referral_board, name="referral-board"),
    path("new/", views.referral_refer, name="referral-refer"),
    path("new/consent/", views.referral_consent_check, name="referral-consent-check"),
    path("<int:referral_id>/", views.referral_detail, name="referral-detail"),
    path("<int:referral_id>/move/", views.referral_move, name="referral-move"),
    path("<int:referral_id>/notes/", views.referral_note_add, name="referral-note-add"),
    path("<int:referral_id>/edit/", views.referral_edit, name="referral-edit"),
]
