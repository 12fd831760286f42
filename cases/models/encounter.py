from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from cases.models.base import SoftDeletable
from cases.models.choices import Disposition, EncounterSource
from cases.models.person import Person
from cases.models.validators import choice_list, validate_officers
from navigator.fields import BoundedTextField
from navigator.models import Program, ResponseModel

# Navigator staff at one encounter; more is a mistake, not a call.
MAX_RESPONDERS = 20


class Encounter(SoftDeletable):
    """One contact in the field. The person may be unknown at first."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="encounters"
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="encounters",
    )
    unidentified_description = models.CharField(
        max_length=200, blank=True, help_text='e.g. "male, 40s, downtown"'
    )
    started_at = models.DateTimeField()
    minutes_engaged = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    location_text = models.CharField(max_length=300, blank=True)
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    source = models.CharField(max_length=20, choices=EncounterSource.choices)
    response_model = models.CharField(max_length=20, choices=ResponseModel.choices)
    cad_number = models.CharField("CAD / incident number", max_length=60, blank=True)
    # At most MAX_RESPONDERS (cases.services.encounters).
    navigators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="encounters_responded"
    )
    # [{"name": "...", "badge": "..."}]
    officers = models.JSONField(
        default=list, blank=True, validators=[validate_officers]
    )
    concerns = models.JSONField(
        default=list,
        blank=True,
        validators=[choice_list("cases.models.choices.Concern")],
    )
    # A few thousand words: the longest write-ups of a long call fit.
    narrative = BoundedTextField(max_length=20_000, blank=True)
    disposition = models.CharField(max_length=30, choices=Disposition.choices)
    diverted = models.BooleanField("Diverted from jail or ED", default=False)
    police_backup_needed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    # Not a column: set on a page's encounters for display
    # (``cases.views._common._with_concern_labels``), read by the templates.
    concern_labels: list[str]

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            # Timelines and the familiar-faces window count (REFERENCE.md).
            models.Index(fields=["person", "started_at"], name="encounter_person_at"),
            # The lists, newest first, and their count, which reads only
            # this index: person for deleted_people(), created_by and id for
            # Today's "logged by me or with me on scene" (migration 0006).
            models.Index(
                fields=["program", "-started_at", "person", "created_by", "id"],
                condition=Q(deleted_at__isnull=True),
                name="encounter_live_program_at",
            ),
            models.Index(
                fields=["created_by", "-started_at"], name="encounter_author_at"
            ),
        ]

    def __str__(self) -> str:
        who = (
            self.person.display_name
            if self.person is not None
            else (self.unidentified_description or "unidentified")
        )
        return f"{self.started_at:%Y-%m-%d %H:%M} — {who}"
