from django.urls import path

from followups import views

urlpatterns = [
    path(
        "followups/calendar/<str:token>.ics",
        views.calendar_feed,
        name="followup-calendar-feed",
    ),
]
