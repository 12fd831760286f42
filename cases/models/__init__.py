from cases.models.choices import (
    AliasKind,
    Concern,
    Disposition,
    DobPrecision,
    EncounterSource,
    Gender,
    HousingSituation,
    RaceEthnicity,
    VeteranStatus,
)
from cases.models.encounter import Encounter
from cases.models.familiar import (
    EnrollmentStatus,
    FamiliarFaceEnrollment,
    FamiliarFaceFlag,
    FamiliarFacesMonthEntry,
    FamiliarFacesRule,
    FlagStatus,
)
from cases.models.person import Alias, FamilyContact, Person

__all__ = [
    "Alias",
    "AliasKind",
    "Concern",
    "Disposition",
    "DobPrecision",
    "Encounter",
    "EnrollmentStatus",
    "FamiliarFaceEnrollment",
    "FamiliarFaceFlag",
    "FamiliarFacesMonthEntry",
    "FamiliarFacesRule",
    "FlagStatus",
    "EncounterSource",
    "FamilyContact",
    "Gender",
    "HousingSituation",
    "Person",
    "RaceEthnicity",
    "VeteranStatus",
]
