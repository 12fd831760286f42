"""The webhook events, written in the transaction of the change they report
(the services call these): a rolled-back change leaves no event, so nothing
is sent for it. Only an agency with an active endpoint gets events.

The payload carries ids and event names only, never a person's name or
health information (issue 10): the receiver fetches what its consent allows
through the partner API.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils import timezone

from cases.models import Consent
from referrals.models import (
    Referral,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
)


def _active_agency_ids(agency_ids: set[int]) -> set[int]:
    if not agency_ids:
        return set()
    return set(
        WebhookEndpoint.objects.filter(
            agency_id__in=agency_ids, is_active=True
        ).values_list("agency_id", flat=True)
    )


def _write(agency_id: int, type_: str, data: dict[str, Any]) -> WebhookEvent:
    now = timezone.now()
    event = WebhookEvent(agency_id=agency_id, type=type_, next_attempt_at=now)
    # The spec's recommended envelope: type, timestamp, data.
    event.payload = {
        "id": event.id,
        "type": type_,
        "timestamp": now.isoformat(),
        "data": data,
    }
    event.save(force_insert=True)
    return event


def referral_moved(referral: Referral, *, action: str) -> WebhookEvent | None:
    """A move of a referral the agency has been sent: ``request`` is
    ``referral.sent``; every later move ``referral.updated``."""
    if referral.requested_at is None:  # a draft: the agency never saw it
        return None
    if not _active_agency_ids({referral.agency_id}):
        return None
    type_ = (
        WebhookEventType.REFERRAL_SENT
        if action == "request"
        else WebhookEventType.REFERRAL_UPDATED
    )
    return _write(
        referral.agency_id,
        type_,
        {
            "referral_id": referral.pk,
            "agency_id": referral.agency_id,
            "event": action,
            "status": referral.status,
        },
    )


def referral_changed(
    referral: Referral, *, event: str, extra: dict[str, Any] | None = None
) -> WebhookEvent | None:
    """A note or an edit of a sent referral: ``referral.updated``; ``extra``
    carries ids or field names only (a note's id, never its text)."""
    if referral.requested_at is None:
        return None
    if not _active_agency_ids({referral.agency_id}):
        return None
    return _write(
        referral.agency_id,
        WebhookEventType.REFERRAL_UPDATED,
        {
            "referral_id": referral.pk,
            "agency_id": referral.agency_id,
            "event": event,
            "status": referral.status,
            **(extra or {}),
        },
    )


def consent_withdrawn(consent: Consent) -> list[WebhookEvent]:
    """Registered with ``cases.consents.hooks`` (referrals.apps): each agency
    sent a referral under this consent is told to stop relying on it
    (42 CFR §2.31(a)(6): revocable, and nothing later relies on it)."""
    by_agency: dict[int, list[int]] = defaultdict(list)
    for referral_id, agency_id in (
        Referral.objects.filter(consent=consent, requested_at__isnull=False)
        .order_by("pk")
        .values_list("pk", "agency_id")
    ):
        by_agency[agency_id].append(referral_id)
    active = _active_agency_ids(set(by_agency))
    return [
        _write(
            agency_id,
            WebhookEventType.CONSENT_WITHDRAWN,
            {
                "consent_id": consent.pk,
                "agency_id": agency_id,
                "event": "revoked",
                "referral_ids": referral_ids,
            },
        )
        for agency_id, referral_ids in sorted(by_agency.items())
        if agency_id in active
    ]
