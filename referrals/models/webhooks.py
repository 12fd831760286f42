"""Outbound webhooks to partner agencies (issue 10).

Signed per Standard Webhooks 1.0 (https://www.standardwebhooks.com/, the
spec's "Signature scheme"); delivered from these rows by Celery
(referrals/webhooks/delivery.py, docs/decisions/0015-webhooks.md).
"""

from __future__ import annotations

import uuid

from django.db import models

from referrals.models.directory import Agency


def new_event_id() -> str:
    # The spec's webhook-id: unique per message, the same on every retry.
    return f"msg_{uuid.uuid4().hex}"


class WebhookEndpoint(models.Model):
    """An agency's one receiver. The secret signs; during a rotation the
    previous one signs too, until ``previous_secret_until``."""

    agency = models.OneToOneField(
        Agency, on_delete=models.PROTECT, related_name="webhook_endpoint"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Webhook of {self.agency_id}: {self.url}"


class WebhookEventType(models.TextChoices):
    REFERRAL_SENT = "referral.sent", "Referral sent"
    REFERRAL_UPDATED = "referral.updated", "Referral updated"
    CONSENT_WITHDRAWN = "consent.withdrawn", "Consent withdrawn"


class WebhookStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookEvent(models.Model):
    """One message to one agency, written in the transaction of the change
    it reports (a rolled-back change leaves none). Its payload carries ids
    and event names only: the receiver fetches the rest through the API."""

    id = models.CharField(
        primary_key=True, max_length=40, default=new_event_id, editable=False
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="webhook_events"
    )
    type = models.CharField(max_length=30, choices=WebhookEventType.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            # The dispatcher's claim: pending rows that are due.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_event_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["agency", "status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookAttempt(models.Model):
    """One try at delivering an event: the receiver's answer or the error."""

    event = models.ForeignKey(
        WebhookEvent, on_delete=models.PROTECT, related_name="delivery_attempts"
    )
    at = models.DateTimeField()
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["event", "at"])]

    def __str__(self) -> str:
        return f"{self.event_id} at {self.at}: {self.http_status or self.error}"
