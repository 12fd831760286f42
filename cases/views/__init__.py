"""Pages for people and encounters: parse, call one service or selector, render.

Missing and out-of-scope objects are both 404 (DESIGN.md). Deleted records are
404 on every page except the restore pages and the audit trail, which program
managers of the record's program may open.

Layout: ``people`` (list, add, edit, the audit trail, delete / restore),
``contacts`` (family / caregiver contacts), ``encounters`` (the person picker,
detail, edit, link, delete / restore, the managers' list) and ``_common``
(helpers they share). Today, the person page and logging an encounter compose
several features and live above them in ``cases.workspace``. Patch a name
where it is read, e.g. ``cases.views.encounters.PERSON_OPTIONS_LIMIT``.
"""

from cases.views.contacts import (
    family_contact_add,
    family_contact_edit,
    family_contact_remove,
)
from cases.views.encounters import (
    encounter_delete,
    encounter_detail,
    encounter_edit,
    encounter_link,
    encounter_list,
    encounter_person_options,
    encounter_restore,
)
from cases.views.people import (
    person_audit,
    person_create,
    person_delete,
    person_deleted_list,
    person_edit,
    person_list,
    person_restore,
)

__all__ = [
    "encounter_delete",
    "encounter_detail",
    "encounter_edit",
    "encounter_link",
    "encounter_list",
    "encounter_person_options",
    "encounter_restore",
    "family_contact_add",
    "family_contact_edit",
    "family_contact_remove",
    "person_audit",
    "person_create",
    "person_delete",
    "person_deleted_list",
    "person_edit",
    "person_list",
    "person_restore",
]
