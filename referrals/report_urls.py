"""The referral conversion report, mounted at ``/referrals/report/``."""

from django.urls import path

from referrals import report_views

urlpatterns = [
    path("", report_views.referral_report, name="referral-report"),
    path(
        "export.csv", report_views.referral_report_export, name="referral-report-export"
    ),
]
