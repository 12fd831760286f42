from django.urls import path

from referrals import settings_views

urlpatterns = [
    path("", settings_views.referral_settings, name="referral-settings"),
]
