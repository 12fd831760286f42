"""The directory: partner agencies and the services they offer.

Shaped after Open Referral HSDS 3.0 (organization, service, location, phone,
schedule; https://docs.openreferral.org/en/latest/hsds/schema_reference.html)
so a region's existing directory loads instead of being typed: each row keeps
the HSDS ids it was imported with (``hsds_id`` and, for the parts HSDS models
as their own objects, ``hsds_ids``), so re-importing updates in place and an
export gives the same ids back.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from cases.models.validators import choice_list
from navigator.fields import BoundedTextField
from navigator.models import Program


class AgencyKind(models.TextChoices):
    CLINIC = "clinic", "Clinic"
    CRISIS_CENTER = "crisis_center", "Crisis center"
    DETOX = "detox", "Detox / withdrawal management"
    SHELTER = "shelter", "Shelter"
    HOUSING = "housing", "Housing"
    PEER_SUPPORT = "peer_support", "Peer support"
    HOSPITAL = "hospital", "Hospital"
    FOOD = "food", "Food"
    LEGAL = "legal", "Legal"
    OTHER = "other", "Other"


class ServiceCategory(models.TextChoices):
    CRISIS_STABILIZATION = "crisis_stabilization", "Crisis stabilization / crisis bed"
    MENTAL_HEALTH = "mental_health", "Mental health care"
    SUBSTANCE_USE = "substance_use", "Substance-use treatment"
    DETOX = "detox", "Detox / withdrawal management"
    MEDICATION = "medication", "Medication (MAT, psychiatric)"
    SHELTER = "shelter", "Emergency shelter"
    HOUSING = "housing", "Housing"
    PEER_SUPPORT = "peer_support", "Peer support"
    CASE_MANAGEMENT = "case_management", "Case management"
    MEDICAL = "medical", "Medical care"
    FOOD = "food", "Food"
    LEGAL = "legal", "Legal aid"
    BENEFITS = "benefits", "Benefits / income"
    TRANSPORT = "transport", "Transportation"
    YOUTH = "youth", "Youth and family"
    VETERANS = "veterans", "Veterans"
    OTHER = "other", "Other"


class Accepting(models.TextChoices):
    YES = "yes", "Accepting new clients"
    WAITLIST = "waitlist", "Waitlist"
    NO = "no", "Not accepting"


class Agency(models.Model):
    """A partner agency (HSDS organization) that programs refer people to."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=AgencyKind.choices)
    description = BoundedTextField(max_length=4000, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    street_address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    # The programs that refer to it: "any partner of this program" in a
    # consent means exactly these (cases.consents.selectors).
    programs = models.ManyToManyField(Program, related_name="agencies", blank=True)
    # A federally assisted substance-use program under 42 CFR Part 2
    # (§2.11, §2.12): what it receives and holds is Part 2 information.
    is_part2_program = models.BooleanField(
        "42 CFR Part 2 program",
        default=False,
        help_text="A substance-use treatment program covered by 42 CFR Part 2.",
    )
    is_active = models.BooleanField(default=True)
    hsds_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Ids of the HSDS objects folded into this row (its phone), by kind.
    hsds_ids = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """What an agency offers, where and when (HSDS service + its location,
    phone and schedule, folded into one row: a service here has one place)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(max_length=200)
    description = BoundedTextField(max_length=4000, blank=True)
    categories = models.JSONField(
        default=list,
        blank=True,
        validators=[choice_list("referrals.models.directory.ServiceCategory")],
    )
    eligibility = BoundedTextField(max_length=2000, blank=True)
    languages = models.JSONField(default=list, blank=True)
    street_address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True
    )
    phone = models.CharField(max_length=40, blank=True)
    hours = BoundedTextField(max_length=1000, blank=True)
    accepting = models.CharField(
        max_length=10, choices=Accepting.choices, default=Accepting.YES
    )
    capacity_note = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    hsds_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Ids of the HSDS objects folded into this row: location,
    # service_at_location, phone, schedule.
    hsds_ids = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agency__name", "name"]
        indexes = [
            models.Index(fields=["agency", "name"], name="service_agency_name"),
            models.Index(fields=["city"], name="service_city"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.name})"


class AgencyMember(models.Model):
    """A partner agency's user: they act for the agency (its inbox, its
    referrals), never as a program's staff. One agency per user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agency_member"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="members")
    is_active = models.BooleanField(default=True)
    # The agency's own principal: what its API tokens sign in as (one per
    # agency; it never signs in to the web). docs/decisions/0014.
    is_service_account = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency"],
                condition=models.Q(is_service_account=True),
                name="agency_one_service_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency}"
