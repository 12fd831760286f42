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
from cases.models.consent import (
    Consent,
    ConsentMethod,
    ConsentPurpose,
    InfoClass,
    RecipientKind,
    RevokeMethod,
)
from cases.models.encounter import MAX_RESPONDERS, Encounter
from cases.models.familiar import (
    EnrollmentStatus,
    FamiliarFaceEnrollment,
    FamiliarFaceFlag,
    FamiliarFacesMonthEntry,
    FamiliarFacesRule,
    FlagStatus,
)
from cases.models.person import MAX_ALIASES, Alias, FamilyContact, Person

__all__ = [
    "MAX_ALIASES",
    "MAX_RESPONDERS",
    "Alias",
    "AliasKind",
    "Concern",
    "Consent",
    "ConsentMethod",
    "ConsentPurpose",
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
    "InfoClass",
    "Person",
    "RaceEthnicity",
    "RecipientKind",
    "RevokeMethod",
    "VeteranStatus",
]
