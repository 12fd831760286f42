"""Shapes of people, family contacts and encounters in the API.

One serializer per resource describes both directions: read-only fields are
what the API adds (ids, display names, timestamps), the rest is what a client
may send. Views never call ``save()``: they hand ``validated_data`` to the
service, where every rule lives.
"""

from __future__ import annotations

from typing import Any, cast

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import ReturnList

from cases.models import (
    MAX_ALIASES,
    MAX_RESPONDERS,
    Alias,
    Concern,
    Encounter,
    FamilyContact,
    Gender,
    Person,
    RaceEthnicity,
)
from cases.models.validators import MAX_OFFICERS, OFFICER_TEXT_MAX_LENGTH
from navigator.api.fields import StrictCharField, StrictIntegerField
from navigator.api.serializers import (
    MAX_ID,
    ChoiceListField,
    CoordinateField,
    RelatedIdsField,
    RelatedNamesField,
    StrictModelSerializer,
    StrictSerializer,
)


class FamilyContactSerializer(StrictModelSerializer):
    class Meta:
        model = FamilyContact
        fields = [
            "id",
            "person",
            "name",
            "relationship",
            "phone",
            "email",
            "may_contact",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["person"]
        validators: list = []


class PersonSerializer(StrictModelSerializer):
    """A person in lists; the detail adds family contacts."""

    program = StrictIntegerField(
        source="program_id",
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Optional when you belong to one program. Cannot change later.",
    )
    display_name = serializers.CharField(read_only=True)
    age = serializers.SerializerMethodField()
    aliases = RelatedNamesField(
        model_field=Alias._meta.get_field("name"),
        max_length=MAX_ALIASES,
        required=False,
        help_text="Other names the person is known by. On update, replaces the list.",
    )
    estimated_age = StrictIntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        min_value=0,
        max_value=120,
        help_text="Age in years when the date of birth is unknown; "
        "stored as an estimated date of birth.",
    )
    gender = ChoiceListField(choices=Gender, required=False)
    race_ethnicity = ChoiceListField(choices=RaceEthnicity, required=False)

    class Meta:
        model = Person
        fields = [
            "id",
            "program",
            "external_id",
            "display_name",
            "first_name",
            "middle_name",
            "last_name",
            "preferred_name",
            "aliases",
            "date_of_birth",
            "dob_precision",
            "estimated_age",
            "age",
            "gender",
            "race_ethnicity",
            "veteran_status",
            "primary_language",
            "phone",
            "email",
            "sms_consent",
            "sms_consent_at",
            "housing_situation",
            "street_address",
            "city",
            "state",
            "postal_code",
            "location_notes",
            "safety_notes",
            "unparsed",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["sms_consent_at", "unparsed"]
        # Uniqueness (external_id per program) is checked by the service, in
        # its transaction; DRF's validators would query outside it.
        validators: list = []

    def get_age(self, person: Person) -> int | None:
        return person.age_on(timezone.localdate())


class PersonDetailSerializer(PersonSerializer):
    """A person, with their family / caregiver contacts (read-only here)."""

    family_contacts = serializers.SerializerMethodField()

    class Meta(PersonSerializer.Meta):
        fields = PersonSerializer.Meta.fields + ["family_contacts"]

    @extend_schema_field(FamilyContactSerializer(many=True))
    def get_family_contacts(self, person: Person) -> ReturnList[Any]:
        # The view passes the scoped, non-deleted contacts (family_contacts_for).
        contacts = self.context.get("family_contacts", ())
        # many=True: Serializer.__new__ returns a ListSerializer, whose data
        # is a ReturnList (the stubs type the call as the child serializer).
        return cast(ReturnList[Any], FamilyContactSerializer(contacts, many=True).data)


class OfficerSerializer(StrictSerializer):
    name = StrictCharField(
        max_length=OFFICER_TEXT_MAX_LENGTH, required=False, allow_blank=True
    )
    badge = StrictCharField(
        max_length=OFFICER_TEXT_MAX_LENGTH, required=False, allow_blank=True
    )


class EncounterSerializer(StrictModelSerializer):
    program = StrictIntegerField(
        source="program_id",
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Optional when you belong to one program. Cannot change later.",
    )
    person = StrictIntegerField(
        source="person_id",
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="The person's id, or null while unidentified "
        "(then give unidentified_description). Send an id later to link.",
    )
    person_display_name = serializers.CharField(
        source="person.display_name", read_only=True, allow_null=True, default=None
    )
    navigators = RelatedIdsField(
        max_length=MAX_RESPONDERS,
        required=False,
        help_text="User ids of the responders; defaults to you on create.",
    )
    officers = serializers.ListField(
        child=OfficerSerializer(),
        max_length=MAX_OFFICERS,
        required=False,
        help_text="Officers on scene.",
    )
    concerns = ChoiceListField(choices=Concern, required=False)
    latitude = CoordinateField(min_value=-90, max_value=90)
    longitude = CoordinateField(min_value=-180, max_value=180)

    class Meta:
        model = Encounter
        fields = [
            "id",
            "program",
            "person",
            "person_display_name",
            "unidentified_description",
            "started_at",
            "minutes_engaged",
            "location_text",
            "latitude",
            "longitude",
            "source",
            "response_model",
            "cad_number",
            "navigators",
            "officers",
            "concerns",
            "narrative",
            "disposition",
            "diverted",
            "police_backup_needed",
            "created_at",
            "created_by",
            "updated_at",
        ]
        read_only_fields = ["created_by"]
        extra_kwargs = {
            # The service defaults it to the program's own response model.
            "response_model": {"required": False},
        }
        validators: list = []

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "officers" in value:
            # Plain dicts, as the JSON column and its validator expect.
            value["officers"] = [dict(o) for o in value["officers"]]
        return value
