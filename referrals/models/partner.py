"""A partner agency's API token: it acts as the agency (through the agency's
service account, docs/decisions/0014-partner-principal.md), never as a staff
user. Only a SHA-256 of the key is stored; the key is shown once."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from referrals.models.directory import Agency

# How long a token lives unless told otherwise (issue 10: "default 1 year").
DEFAULT_LIFETIME = datetime.timedelta(days=365)
# Two active at once: the new one while the old is being replaced (rotation).
MAX_ACTIVE_TOKENS = 2
# Partner keys start with this, so neither they nor staff keys are mistaken
# for the other (in logs, in a leaked-secret scan, at the door).
KEY_PREFIX = "navp_"


def default_expiry() -> datetime.datetime:
    return timezone.now() + DEFAULT_LIFETIME


class PartnerToken(models.Model):
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="partner_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    key_prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(default=default_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name or 'token'} ({self.key_prefix}…)"

    def is_active_at(self, when: datetime.datetime) -> bool:
        return self.revoked_at is None and self.expires_at > when
