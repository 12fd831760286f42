"""Pages under ``/directory/`` (namespace ``directory``)."""

from django.urls import path

from referrals.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.directory_search, name="search"),
    path("agencies/", views.agency_list, name="agency-list"),
    path("agencies/new/", views.agency_create, name="agency-create"),
    path("agencies/<int:agency_id>/", views.agency_detail, name="agency-detail"),
    path("agencies/<int:agency_id>/edit/", views.agency_edit, name="agency-edit"),
    path("agencies/<int:agency_id>/active/", views.agency_active, name="agency-active"),
    path(
        "agencies/<int:agency_id>/services/new/",
        views.service_create,
        name="service-create",
    ),
    path("services/<int:service_id>/edit/", views.service_edit, name="service-edit"),
    path(
        "services/<int:service_id>/active/", views.service_active, name="service-active"
    ),
]
