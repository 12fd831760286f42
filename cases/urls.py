from django.urls import path

from cases import views

# The pages of people, contacts and encounters. Today, the person page and
# logging an encounter (cases.workspace) and familiar faces are included
# beside these by navigator.urls (docs/decisions/0010-layers.md).
urlpatterns = [
    path("people/", views.person_list, name="person-list"),
    path("people/new/", views.person_create, name="person-create"),
    path("people/deleted/", views.person_deleted_list, name="person-deleted-list"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person-edit"),
    path("people/<int:person_id>/delete/", views.person_delete, name="person-delete"),
    path(
        "people/<int:person_id>/restore/", views.person_restore, name="person-restore"
    ),
    path("people/<int:person_id>/audit/", views.person_audit, name="person-audit"),
    path(
        "people/<int:person_id>/contacts/new/",
        views.family_contact_add,
        name="family-contact-add",
    ),
    path(
        "people/<int:person_id>/contacts/<int:contact_id>/edit/",
        views.family_contact_edit,
        name="family-contact-edit",
    ),
    path(
        "people/<int:person_id>/contacts/<int:contact_id>/remove/",
        views.family_contact_remove,
        name="family-contact-remove",
    ),
    path("encounters/", views.encounter_list, name="encounter-list"),
    path(
        "encounters/person-options/",
        views.encounter_person_options,
        name="encounter-person-options",
    ),
    path(
        "encounters/<int:encounter_id>/",
        views.encounter_detail,
        name="encounter-detail",
    ),
    path(
        "encounters/<int:encounter_id>/edit/",
        views.encounter_edit,
        name="encounter-edit",
    ),
    path(
        "encounters/<int:encounter_id>/link/",
        views.encounter_link,
        name="encounter-link",
    ),
    path(
        "encounters/<int:encounter_id>/delete/",
        views.encounter_delete,
        name="encounter-delete",
    ),
    path(
        "encounters/<int:encounter_id>/restore/",
        views.encounter_restore,
        name="encounter-restore",
    ),
]
