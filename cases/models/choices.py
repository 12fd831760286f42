"""Choice lists. Demographics follow the HUD HMIS Data Standards (FY2024):
3.04 Race and Ethnicity, 3.06 Gender (both multi-select), 3.07 Veteran Status.
"""

from django.db import models


class Gender(models.TextChoices):
    WOMAN = "woman", "Woman (Girl, if child)"
    MAN = "man", "Man (Boy, if child)"
    CULTURALLY_SPECIFIC = (
        "culturally_specific",
        "Culturally Specific Identity (e.g., Two-Spirit)",
    )
    TRANSGENDER = "transgender", "Transgender"
    NON_BINARY = "non_binary", "Non-Binary"
    QUESTIONING = "questioning", "Questioning"
    DIFFERENT = "different", "Different Identity"
    DOESNT_KNOW = "doesnt_know", "Client doesn't know"
    PREFERS_NOT = "prefers_not", "Client prefers not to answer"
    NOT_COLLECTED = "not_collected", "Data not collected"


class RaceEthnicity(models.TextChoices):
    AMERICAN_INDIAN = "american_indian", "American Indian, Alaska Native, or Indigenous"
    ASIAN = "asian", "Asian or Asian American"
    BLACK = "black", "Black, African American, or African"
    HISPANIC = "hispanic", "Hispanic/Latina/e/o"
    MIDDLE_EASTERN = "middle_eastern", "Middle Eastern or North African"
    PACIFIC_ISLANDER = "pacific_islander", "Native Hawaiian or Pacific Islander"
    WHITE = "white", "White"
    DOESNT_KNOW = "doesnt_know", "Client doesn't know"
    PREFERS_NOT = "prefers_not", "Client prefers not to answer"
    NOT_COLLECTED = "not_collected", "Data not collected"


class VeteranStatus(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    DOESNT_KNOW = "doesnt_know", "Client doesn't know"
    PREFERS_NOT = "prefers_not", "Client prefers not to answer"
    NOT_COLLECTED = "not_collected", "Data not collected"


class HousingSituation(models.TextChoices):
    # Grouped after HMIS 3.917 Prior Living Situation, short enough for a phone.
    HOUSED = "housed", "Housed (own or rented)"
    WITH_FAMILY_FRIENDS = "with_family_friends", "Staying with family or friends"
    UNSHELTERED = "unsheltered", "Unsheltered (street, car, encampment)"
    EMERGENCY_SHELTER = "emergency_shelter", "Emergency shelter"
    TRANSITIONAL = "transitional", "Transitional / supportive housing"
    INSTITUTIONAL = "institutional", "Hospital, jail, treatment facility"
    HOTEL_MOTEL = "hotel_motel", "Hotel or motel (self-paid)"
    UNKNOWN = "unknown", "Unknown"


class DobPrecision(models.TextChoices):
    EXACT = "exact", "Exact"
    ESTIMATED = "estimated", "Estimated from age"


class AliasKind(models.TextChoices):
    ALIAS = "alias", "Alias / AKA"
    NICKNAME = "nickname", "Nickname / street name"
    FORMER = "former", "Former or legal name"


class EncounterSource(models.TextChoices):
    CALL_911 = "911_call", "911 call"
    OFFICER_REQUEST = "officer_request", "Officer request"
    SELF = "self", "Self-referral"
    PROVIDER = "provider", "Provider referral"
    OUTREACH = "outreach", "Outreach"


class Concern(models.TextChoices):
    MENTAL_HEALTH = "mental_health", "Mental health"
    SUBSTANCE_USE = "substance_use", "Substance use"
    HOMELESSNESS = "homelessness", "Homelessness"
    DEVELOPMENTAL_DISABILITY = "developmental_disability", "Developmental disability"
    SUICIDAL_IDEATION = "suicidal_ideation", "Suicidal ideation"
    WELFARE_CHECK = "welfare_check", "Welfare check"
    FAMILY_CONFLICT = "family_conflict", "Family conflict"
    OTHER = "other", "Other"


class Disposition(models.TextChoices):
    RESOLVED_ON_SCENE = "resolved_on_scene", "Resolved on scene"
    RESOURCES_PROVIDED = "resources_provided", "Resources provided"
    TRANSPORT_HOSPITAL = "transport_hospital", "Transported to hospital"
    TRANSPORT_CRISIS_CENTER = "transport_crisis_center", "Transported to crisis center"
    TRANSPORT_WALK_IN = "transport_walk_in", "Transported to walk-in clinic"
    INVOLUNTARY_EVALUATION = (
        "involuntary_evaluation",
        "Involuntary evaluation requested",
    )
    ARRESTED = "arrested", "Arrested"
    REFUSED_SERVICES = "refused_services", "Refused services"
    OTHER = "other", "Other"
