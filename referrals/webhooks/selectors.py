"""What the managers' webhook page shows: per agency they keep, its
endpoint and the deliveries that failed or wait."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from navigator.errors import NotFound
from navigator.models import User
from navigator.selectors import is_administrator, managed_program_ids_for
from referrals.models import Agency, WebhookEvent, WebhookStatus
from referrals.selectors import agency_access

UNDELIVERED = (WebhookStatus.PENDING, WebhookStatus.FAILED)


def webhook_agencies_for(*, user: User) -> QuerySet[Agency]:
    """The agencies whose webhooks the user keeps (an administrator: every
    one), with their endpoint and counts of failed and pending events."""
    agencies = Agency.objects.all()
    if not is_administrator(user=user):
        agencies = agencies.filter(
            programs__in=managed_program_ids_for(user=user)
        ).distinct()
    return (
        agencies.select_related("webhook_endpoint")
        .annotate(
            webhooks_failed=Count(
                "webhook_events",
                filter=Q(webhook_events__status=WebhookStatus.FAILED),
            ),
            webhooks_pending=Count(
                "webhook_events",
                filter=Q(webhook_events__status=WebhookStatus.PENDING),
            ),
        )
        .order_by("name", "id")
    )


def webhook_agency_get_for(*, user: User, agency_id: int) -> Agency:
    agency = (
        Agency.objects.select_related("webhook_endpoint").filter(pk=agency_id).first()
    )
    if agency is None:
        raise NotFound("No such agency.")
    agency_access(user=user, agency=agency, action="manage")
    return agency


def webhook_undelivered_for(*, agency: Agency, limit: int = 50) -> list[WebhookEvent]:
    """The agency's failed, then pending, events: newest first."""
    return list(
        WebhookEvent.objects.filter(agency=agency, status__in=UNDELIVERED).order_by(
            "status", "-created_at"
        )[:limit]
    )


def webhook_event_get_for(*, user: User, event_id: str) -> WebhookEvent:
    event = WebhookEvent.objects.select_related("agency").filter(pk=event_id).first()
    if event is None:
        raise NotFound("No such event.")
    agency_access(user=user, agency=event.agency, action="manage")
    return event
