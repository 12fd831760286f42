"""Familiar faces: people with repeated crisis contacts, by the program's rules.

A rule says "at least N encounters in a rolling window of D days", optionally
only encounters of some sources, concerns or dispositions. A flag records why
a person matched (rule, count, window, the encounters); when they no longer
match it is cleared and kept as history. See cases/familiar/.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from cases.models.person import Person
from cases.models.validators import choice_list
from navigator.fields import REASON_MAX_LENGTH, BoundedTextField
from navigator.models import Program


class FamiliarFacesRule(models.Model):
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="familiar_faces_rules"
    )
    name = models.CharField(max_length=100)
    min_encounters = models.PositiveSmallIntegerField(
        "At least this many encounters",
        default=4,
        validators=[MinValueValidator(2), MaxValueValidator(1000)],
    )
    window_days = models.PositiveSmallIntegerField(
        "Within this many days",
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3 * 366)],
    )
    # Empty list = any. Only encounters matching every non-empty list count.
    sources = models.JSONField(
        default=list,
        blank=True,
        validators=[choice_list("cases.models.choices.EncounterSource")],
    )
    concerns = models.JSONField(
        default=list,
        blank=True,
        validators=[choice_list("cases.models.choices.Concern")],
        help_text="Counts encounters with any of these concerns.",
    )
    dispositions = models.JSONField(
        default=list,
        blank=True,
        validators=[choice_list("cases.models.choices.Disposition")],
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["program", "name", "id"]

    def __str__(self) -> str:
        return self.name or self.describe()

    def describe(self) -> str:
        text = f"{self.min_encounters}+ encounters in {self.window_days} days"
        extra = [
            ", ".join(v) for v in (self.sources, self.concerns, self.dispositions) if v
        ]
        return text + (f" ({'; '.join(extra)})" if extra else "")


class FlagStatus(models.TextChoices):
    ACTIVE = "active", "On the list"
    DISMISSED = "dismissed", "Dismissed by a manager"
    CLEARED = "cleared", "No longer matches"
    CLOSED = "closed", "Dismissal superseded by new contacts"


OPEN_FLAG_STATUSES = (FlagStatus.ACTIVE, FlagStatus.DISMISSED)


class FamiliarFaceFlag(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="familiar_face_flags"
    )
    rule = models.ForeignKey(
        FamiliarFacesRule, on_delete=models.PROTECT, related_name="flags"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=FlagStatus.choices, default=FlagStatus.ACTIVE
    )
    # Why: how many matching encounters in which window, and which ones.
    encounter_count = models.PositiveIntegerField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    encounter_ids = models.JSONField(default=list)
    raised_at = models.DateTimeField()
    evaluated_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_reason = models.CharField(max_length=300, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dismissed_reason = BoundedTextField(max_length=REASON_MAX_LENGTH, blank=True)
    # A dismissed flag is raised again only by an encounter after this instant.
    dismissed_through = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-encounter_count", "person_id"]
        constraints = [
            # Two workers, or a full run racing an incremental one, can never
            # leave two open flags for one person and rule.
            models.UniqueConstraint(
                fields=["person", "rule"],
                condition=Q(status__in=["active", "dismissed"]),
                name="familiar_face_one_open_flag",
            )
        ]
        indexes = [
            # The list, most contacts first: its first page reads 25 flags,
            # not all 10,000 (the names only order a group of equal counts).
            models.Index(
                fields=["program", "status", "-encounter_count"],
                name="familiar_flag_program_count",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} × rule {self.rule_id}: {self.status}"


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", "Enrolled"
    ENDED = "ended", "Ended"


class FamiliarFaceEnrollment(models.Model):
    """Intensive follow-up for a person on the list."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="familiar_face_enrollments"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    navigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    plan = BoundedTextField(max_length=4000, blank=True)
    status = models.CharField(
        max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    enrolled_at = models.DateTimeField()
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = BoundedTextField(max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="active"),
                name="familiar_face_one_active_enrollment",
            )
        ]

    def __str__(self) -> str:
        return f"Enrollment of {self.person_id} ({self.status})"


class FamiliarFacesMonthEntry(models.Model):
    """Who was on the list in a month: one row per person, rule and month."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="First day of the month (program time).")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(
        FamiliarFacesRule, on_delete=models.PROTECT, related_name="+"
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    max_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["month", "person_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "month", "person", "rule"],
                name="familiar_faces_month_entry_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.person_id}"
