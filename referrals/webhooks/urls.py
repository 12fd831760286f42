"""The managers' webhook pages, included by ``navigator.urls`` at
``referrals/webhooks/``."""

from django.urls import path

from referrals.webhooks import views

urlpatterns = [
    path("", views.webhook_list, name="webhook-list"),
    path("<int:agency_id>/", views.webhook_agency, name="webhook-agency"),
    path("<int:agency_id>/rotate/", views.webhook_rotate, name="webhook-rotate"),
    path("events/<str:event_id>/retry/", views.webhook_retry, name="webhook-retry"),
]
