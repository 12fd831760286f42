"""Writes of people, their contacts, and encounters. Each is audited.

One module per record type; callers import from ``cases.services``.
``inputs`` names what they take as ``data``; ``people_bulk`` is the bulk
write path of people (an import); soft delete / restore go through
``navigator.softdelete``.
"""

from cases.services.contacts import (
    FAMILY_CONTACT_FIELDS,
    family_contact_add,
    family_contact_remove,
    family_contact_restore,
    family_contact_update,
)
from cases.services.encounters import (
    ENCOUNTER_FIELDS,
    FUTURE_TOLERANCE,
    encounter_link_person,
    encounter_log,
    encounter_restore,
    encounter_soft_delete,
    encounter_update,
)
from cases.services.inputs import EncounterData, FamilyContactData, PersonData
from cases.services.people import (
    PERSON_FIELDS,
    person_create,
    person_record_viewed,
    person_restore,
    person_soft_delete,
    person_update,
)

__all__ = [
    "EncounterData",
    "FamilyContactData",
    "PersonData",
    "ENCOUNTER_FIELDS",
    "FAMILY_CONTACT_FIELDS",
    "FUTURE_TOLERANCE",
    "PERSON_FIELDS",
    "encounter_link_person",
    "encounter_log",
    "encounter_restore",
    "encounter_soft_delete",
    "encounter_update",
    "family_contact_add",
    "family_contact_remove",
    "family_contact_restore",
    "family_contact_update",
    "person_create",
    "person_record_viewed",
    "person_restore",
    "person_soft_delete",
    "person_update",
]
