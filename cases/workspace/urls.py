"""Routes of the workspace pages, included by ``navigator.urls`` at the root.

The names and paths are the ones these pages had in ``cases.urls``.
"""

from django.urls import path

from cases.workspace import views

urlpatterns = [
    path("", views.today, name="today"),
    path("people/<int:person_id>/", views.person_detail, name="person-detail"),
    path("encounters/new/", views.encounter_create, name="encounter-create"),
]
