"""Referrals to partner agencies, their status history, notes and
attachments, and the program's referral settings.

Statuses are FHIR R4 Task codes (http://hl7.org/fhir/R4/valueset-task-status.html),
as the HL7 Gravity SDOH Clinical Care guide uses them for closed-loop
referrals; which moves are legal, and by whom, is ``referrals.lifecycle``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from cases.models import Consent, Encounter, InfoClass, Person
from cases.models.validators import choice_list
from navigator.fields import REASON_MAX_LENGTH, BoundedTextField
from navigator.models import Program, StoredFile
from referrals.models.directory import Agency, Service


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    IN_PROGRESS = "in-progress", "In progress"
    ON_HOLD = "on-hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    EMERGENCY = "emergency", "Emergency"


class ReferralOutcome(models.TextChoices):
    """How a completed referral ended: "closed" is never "connected"."""

    CONNECTED = "connected", "Connected to service"
    PERSON_DECLINED = "person_declined", "Person declined"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    NO_CAPACITY = "no_capacity", "No capacity"
    COULD_NOT_CONTACT = "could_not_contact", "Could not contact"
    OTHER = "other", "Other"


class ReasonCode(models.TextChoices):
    """Why a referral was rejected, cancelled or failed."""

    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    NO_CAPACITY = "no_capacity", "No capacity"
    COULD_NOT_CONTACT = "could_not_contact", "Could not contact"
    PERSON_DECLINED = "person_declined", "Person declined"
    DUPLICATE = "duplicate", "Duplicate"
    PLACED_ELSEWHERE = "placed_elsewhere", "Placed elsewhere"
    EXPIRED = "expired", "Expired (no response)"
    OTHER = "other", "Other"


class DeclinedBy(models.TextChoices):
    AGENCY = "agency", "The agency"
    PERSON = "person", "The person"


class ReferralGroup(models.Model):
    """One need sent to up to three services at once: the first to accept
    wins, the others are cancelled as "placed elsewhere"."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Referral group #{self.pk}"


class Referral(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="referrals"
    )
    encounter = models.ForeignKey(
        Encounter,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="referrals"
    )
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    group = models.ForeignKey(
        ReferralGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    reason = BoundedTextField("reason / presenting need", max_length=2000)
    # What the referral carries to the agency; the consent must cover each.
    info_classes = models.JSONField(
        default=list, validators=[choice_list("cases.models.consent.InfoClass")]
    )
    urgency = models.CharField(
        max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    is_involuntary = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_referrals",
    )
    consent = models.ForeignKey(
        Consent,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    # An emergency referral sent without a consent that allows it: who,
    # when and why, shown on the referral and in the managers' audit view.
    consent_override_reason = BoundedTextField(max_length=REASON_MAX_LENGTH, blank=True)
    consent_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    consent_override_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT
    )
    # The last move: the idle-expiry sweep measures from it.
    status_changed_at = models.DateTimeField()
    status_reason = models.CharField(
        max_length=20, choices=ReasonCode.choices, blank=True
    )
    declined_by = models.CharField(
        max_length=10, choices=DeclinedBy.choices, blank=True
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    # The agency's first answer (accepted or rejected).
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=20, choices=ReferralOutcome.choices, blank=True
    )
    outcome_note = BoundedTextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set by the pages for their templates, never stored: no answer by the
    # respond-by date (``referrals.selectors.referral_is_overdue``), the
    # moves a row offers and the follow-up an acceptance proposes
    # (``referrals.views._common.with_moves``).
    is_overdue: bool
    moves: list[Any]
    followup_days: int
    followup_at: datetime.datetime | None

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A program's referrals by status, newest first: the board's
            # columns and any status filter. The person is included so that
            # the page's bounded count (10,001 rows) reads the index alone
            # (deleted people's referrals are left out by person_id): 16 ms
            # from the table, 2 ms from the index (docs/performance.md,
            # "Referrals").
            models.Index(
                fields=["program", "status", "-created_at", "-id"],
                include=["person"],
                name="referral_board",
            ),
            # The board and the referral list: a program's newest first. With
            # only referral_board (status first) the first page sorted all of
            # a program's referrals: 186 ms at 120k, 12 ms with this; its
            # person, for the count as above (6 ms -> 2 ms).
            models.Index(
                fields=["program", "-created_at", "-id"],
                include=["person"],
                name="referral_recent",
            ),
            models.Index(fields=["person", "-created_at"], name="referral_person"),
            models.Index(fields=["agency", "status"], name="referral_agency"),
            models.Index(fields=["status", "respond_by"], name="referral_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="completed") | ~models.Q(outcome=""),
                name="referral_completed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk} to {self.agency_id}"

    @property
    def carries(self) -> list[str]:
        return [c for c in InfoClass.values if c in self.info_classes]


class ReferralStatusChange(models.Model):
    """The status history: append-only, one row per move."""

    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="history"
    )
    at = models.DateTimeField()
    # Null: the system (a sweep, a sibling placed elsewhere).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Staff recording the agency's answer for it (a phone call).
    on_behalf_of_agency = models.BooleanField(default=False)
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    reason_code = models.CharField(
        max_length=20, choices=ReasonCode.choices, blank=True
    )
    declined_by = models.CharField(
        max_length=10, choices=DeclinedBy.choices, blank=True
    )
    note = BoundedTextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class ReferralNote(models.Model):
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Written by the agency (its user or token; next issue) or by staff.
    by_agency = models.BooleanField(default=False)
    text = BoundedTextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note #{self.pk} on referral #{self.referral_id}"


class ReferralAttachment(models.Model):
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Attachment {self.file_id} of referral #{self.referral_id}"


class NoticeKind(models.TextChoices):
    NO_RESPONSE = "no_response", "No response by the respond-by date"
    ESCALATED = "escalated", "Escalated to the program manager"


class ReferralNotice(models.Model):
    """A notice the sweeps sent about a referral: the unique constraint makes
    each one happen once, however many workers run the sweep."""

    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "kind"], name="referral_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} notice of referral #{self.referral_id}"


class ReferralSettings(models.Model):
    """A program's referral rules; unsaved defaults until a manager saves."""

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, related_name="referral_settings"
    )
    # Days to answer, by urgency, when the sender gives no respond-by date.
    respond_days_routine = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(60)]
    )
    respond_days_urgent = models.PositiveSmallIntegerField(
        default=1, validators=[MaxValueValidator(60)]
    )
    respond_days_emergency = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(60)]
    )
    # After the no-response notice, days until the program manager is told.
    escalate_after_days = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    # A referral idle this long in a non-final state fails as "expired".
    expire_after_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    # Accepted → propose calling the person this many days later.
    followup_after_accept_days = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(60)]
    )

    def __str__(self) -> str:
        return f"Referral settings of {self.program_id}"
