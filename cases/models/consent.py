"""A person's consents: releases of information to a partner agency (or a
class of recipients), for a purpose, covering some classes of information.

Whether a consent lets an agency receive a class of information now is
decided in one place, ``cases.consents.selectors``; these are the records it
reads. A consent that covers substance-use information counts only when it
has every element 42 CFR §2.31 (2024 rule) requires
(``cases.consents.rules.part2_missing_elements``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cases.models.base import SoftDeletable
from cases.models.person import Person
from cases.models.validators import choice_list
from navigator.fields import REASON_MAX_LENGTH, BoundedTextField
from navigator.models import Program, StoredFile


class InfoClass(models.TextChoices):
    """What information a consent releases, least to most protected."""

    GENERAL = "general", "General / contact details"
    MENTAL_HEALTH = "mental_health", "Mental health"
    # 42 CFR Part 2 records: only under a consent with every §2.31 element.
    SUBSTANCE_USE = "substance_use", "Substance use (42 CFR Part 2)"


class ConsentPurpose(models.TextChoices):
    TREATMENT = "treatment", "Treatment"
    CARE_COORDINATION = "care_coordination", "Care coordination"
    HOUSING = "housing", "Housing"
    PAYMENT = "payment", "Payment"
    HEALTH_CARE_OPERATIONS = "operations", "Health care operations"
    OTHER = "other", "Other"


# 42 CFR §2.31(a)(4)(iii)(B) and §2.32(b): a consent for treatment, payment
# or health care operations must carry the statement that the recipient may
# redisclose as HIPAA permits.
TPO_PURPOSES = frozenset(
    {
        ConsentPurpose.TREATMENT,
        ConsentPurpose.PAYMENT,
        ConsentPurpose.HEALTH_CARE_OPERATIONS,
    }
)


class RecipientKind(models.TextChoices):
    AGENCY = "agency", "A named agency"
    PROGRAM_PARTNERS = "program_partners", "Any partner agency of the program"


class ConsentMethod(models.TextChoices):
    SIGNED_FORM = "signed_form", "Signed form"
    ELECTRONIC = "electronic", "Electronic signature"
    VERBAL_WITNESSED = "verbal", "Verbal, with a witness"


class RevokeMethod(models.TextChoices):
    WRITTEN = "written", "In writing"
    VERBAL = "verbal", "Verbally"


class Consent(SoftDeletable):
    """A release of information signed (or given) by the person."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="consents"
    )
    # The person's program when it was recorded: who may see it, and whose
    # partners "any partner of the program" means.
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    recipient_kind = models.CharField(
        max_length=20, choices=RecipientKind.choices, default=RecipientKind.AGENCY
    )
    agency = models.ForeignKey(
        "referrals.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consents",
    )
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    purpose_detail = models.CharField(max_length=200, blank=True)
    info_classes = models.JSONField(
        default=list, validators=[choice_list("cases.models.consent.InfoClass")]
    )
    # §2.31(a)(3): "how much and what kind of information", specifically.
    information_description = BoundedTextField(max_length=2000, blank=True)
    # §2.31(a)(2): who may disclose (default: the program itself).
    discloser = models.CharField(max_length=200, blank=True)
    signed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(max_length=200, blank=True)
    method = models.CharField(max_length=20, choices=ConsentMethod.choices)
    witness_name = models.CharField(max_length=200, blank=True)
    # §2.31(a)(8): the person's (or their representative's) signature.
    signature_obtained = models.BooleanField(default=False)
    # §2.31(a)(6): the right to revoke, and how, was stated on the consent.
    right_to_revoke_stated = models.BooleanField(default=False)
    # §2.31(a)(4)(iii)(B): required for treatment / payment / operations.
    redisclosure_statement = models.BooleanField(default=False)
    # Which §2.31 elements are missing (codes of
    # cases.consents.rules.PART2_ELEMENTS), as last computed by the service;
    # the selector recomputes from the fields and never trusts this alone.
    part2_missing = models.JSONField(default=list, blank=True, editable=False)
    form = models.ForeignKey(
        StoredFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = BoundedTextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_method = models.CharField(
        max_length=10, choices=RevokeMethod.choices, blank=True
    )
    revoked_reason = BoundedTextField(max_length=REASON_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        indexes = [
            models.Index(fields=["person", "agency"], name="consent_person_agency"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(recipient_kind="agency", agency__isnull=False)
                    | models.Q(recipient_kind="program_partners", agency__isnull=True)
                ),
                name="consent_recipient_named",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent #{self.pk} of person #{self.person_id}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
