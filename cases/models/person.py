from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from cases.models.base import SoftDeletable
from cases.models.choices import (
    AliasKind,
    DobPrecision,
    HousingSituation,
    VeteranStatus,
)
from cases.models.validators import choice_list, validate_unparsed
from navigator.fields import BoundedTextField
from navigator.models import Program


def person_display_name(preferred_name: str, first_name: str, last_name: str) -> str:
    """A person's name as lists show it (``Person.display_name``), from the
    three columns alone: for lists read as values rather than instances."""
    first = preferred_name or first_name
    full = " ".join(p for p in (first, last_name) if p)
    return full or "(no name)"


class Person(SoftDeletable):
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="people"
    )
    external_id = models.CharField(
        max_length=100, blank=True, help_text="Identifier in another system."
    )
    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    dob_precision = models.CharField(
        max_length=10, choices=DobPrecision.choices, default=DobPrecision.EXACT
    )
    gender = models.JSONField(
        default=list,
        blank=True,
        validators=[choice_list("cases.models.choices.Gender")],
    )
    race_ethnicity = models.JSONField(
        default=list,
        blank=True,
        validators=[choice_list("cases.models.choices.RaceEthnicity")],
    )
    veteran_status = models.CharField(
        max_length=20,
        choices=VeteranStatus.choices,
        default=VeteranStatus.NOT_COLLECTED,
    )
    primary_language = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    sms_consent = models.BooleanField(default=False)
    sms_consent_at = models.DateTimeField(null=True, blank=True)
    housing_situation = models.CharField(
        max_length=24,
        choices=HousingSituation.choices,
        default=HousingSituation.UNKNOWN,
    )
    street_address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    location_notes = models.CharField(
        max_length=300, blank=True, help_text="Where to find them if not at an address."
    )
    safety_notes = BoundedTextField(
        max_length=5000,
        blank=True,
        help_text="Response plan / safety notes for responders.",
    )
    # Values an import could not parse, kept as given: {"date_of_birth": "13/45/80"}.
    unparsed = models.JSONField(
        default=dict, blank=True, validators=[validate_unparsed]
    )
    # Lower-cased, accent-free names and aliases: what search matches against
    # (trigram-indexed on PostgreSQL, migration 0002).
    search_text = models.TextField(blank=True, editable=False)
    # Soundex codes of the words of search_text, " J500 S530 " (cases.phonetic):
    # finds the transposed letters trigrams miss (jhon/john), on every
    # database. Trigram-indexed on PostgreSQL, migration 0005.
    search_phonetic = models.TextField(blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    # Not a column: set on a page's people for display
    # (``cases.views._common._with_ages``), read by the templates.
    age: int | None

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "external_id"],
                condition=~Q(external_id=""),
                name="person_unique_external_id",
            ),
            models.CheckConstraint(
                condition=~Q(first_name="", last_name="", preferred_name=""),
                name="person_has_a_name",
            ),
        ]
        indexes = [
            models.Index(
                fields=["program", "last_name", "first_name"], name="person_name"
            ),
            models.Index(fields=["program", "date_of_birth"], name="person_dob"),
            # cases.selectors.deleted_people(): a handful, found without a scan.
            models.Index(
                fields=["id"],
                condition=Q(deleted_at__isnull=False),
                name="person_deleted",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return person_display_name(self.preferred_name, self.first_name, self.last_name)

    @property
    def legal_name(self) -> str:
        return " ".join(
            p for p in (self.first_name, self.middle_name, self.last_name) if p
        )

    def age_on(self, day: datetime.date) -> int | None:
        if self.date_of_birth is None:
            return None
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


# Names a person is also known by (AKAs, street names, former names).
MAX_ALIASES = 50


class Alias(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=10, choices=AliasKind.choices, default=AliasKind.ALIAS
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "name"], name="alias_unique_per_person"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FamilyContact(SoftDeletable):
    """A family member or caregiver of a person served."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="family_contacts"
    )
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=60)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    may_contact = models.BooleanField(
        default=False, help_text="The person agreed that we may contact them."
    )
    notes = BoundedTextField(max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"
