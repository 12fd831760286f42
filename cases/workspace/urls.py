"""Routes of the workspace pages, included by ``cases.urls`` at its root."""

from django.urls import path

from cases.workspace import views

urlpatterns = [
    path("", views.today, name="today"),
]
