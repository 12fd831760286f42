"""An agency's webhook endpoint and its secret; retrying a delivery. Kept by
administrators and the managers of a program the agency works with (the
directory's ``agency_access(action="manage")``); every write audited."""

from __future__ import annotations

import datetime
import ipaddress
import urllib.parse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from navigator.audit import audit_record
from navigator.errors import Conflict, DomainError
from navigator.models import AuditAction, User
from referrals.models import Agency, WebhookEndpoint, WebhookEvent, WebhookStatus
from referrals.selectors import agency_access
from referrals.webhooks import signing

LOCAL_HOSTS = {"localhost"}


def _is_local(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_webhook_url(url: str) -> str:
    """https, or http to this machine only (tests and demos): an event must
    not cross a network in the clear."""
    url = (url or "").strip()
    if not url:
        raise DomainError.for_field("url", "Give the endpoint's address.")
    if len(url) > WebhookEndpoint._meta.get_field("url").max_length:  # type: ignore[operator]
        raise DomainError.for_field("url", "The address is too long.")
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise DomainError.for_field("url", "Give a whole https:// address.") from None
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password:
        raise DomainError.for_field("url", "No user name or password in the address.")
    if parts.scheme == "http" and not _is_local(parts.hostname or ""):
        raise DomainError.for_field(
            "url", "The address must start with https:// (http only to localhost)."
        )
    return url


def _audit(by: User, obj: WebhookEndpoint | WebhookEvent, changes: dict) -> None:
    audit_record(
        actor=by,
        action=AuditAction.UPDATE
        if changes.pop("_update", True)
        else AuditAction.CREATE,
        obj=obj,
        person_id=None,
        program_id=None,
        changes=changes,
    )


@transaction.atomic
def webhook_endpoint_save(
    *, by: User, agency: Agency, url: str, is_active: bool = True
) -> tuple[WebhookEndpoint, str | None]:
    """Set the agency's endpoint. A new one gets a secret, returned here
    once (shown once to whoever set it up); an existing one keeps its own."""
    agency_access(user=by, agency=agency, action="manage")
    url = clean_webhook_url(url)
    endpoint = WebhookEndpoint.objects.select_for_update().filter(agency=agency).first()
    if endpoint is None:
        secret = signing.new_secret()
        endpoint = WebhookEndpoint.objects.create(
            agency=agency, url=url, secret=secret, is_active=is_active
        )
        _audit(
            by,
            endpoint,
            {
                "_update": False,
                "url": [None, url],
                "is_active": [None, is_active],
                "secret": [None, "generated"],
            },
        )
        return endpoint, secret
    changes: dict[str, list[object]] = {}
    if endpoint.url != url:
        changes["url"] = [endpoint.url, url]
    if endpoint.is_active != is_active:
        changes["is_active"] = [endpoint.is_active, is_active]
    if changes:
        endpoint.url, endpoint.is_active = url, is_active
        endpoint.save(update_fields=["url", "is_active", "updated_at"])
        _audit(by, endpoint, changes)
    return endpoint, None


@transaction.atomic
def webhook_secret_rotate(*, by: User, agency: Agency) -> str:
    """A new secret, returned once; the old one still signs for
    WEBHOOK_ROTATION_HOURS so the receiver can switch without losing an
    event (Standard Webhooks 1.0: several signatures in one header)."""
    agency_access(user=by, agency=agency, action="manage")
    endpoint = WebhookEndpoint.objects.select_for_update().filter(agency=agency).first()
    if endpoint is None:
        raise Conflict("This agency has no webhook endpoint.", code="no_endpoint")
    secret = signing.new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + datetime.timedelta(
        hours=settings.WEBHOOK_ROTATION_HOURS
    )
    endpoint.secret = secret
    endpoint.save(
        update_fields=[
            "secret",
            "previous_secret",
            "previous_secret_until",
            "updated_at",
        ]
    )
    # Never the secrets themselves in the audit log.
    _audit(by, endpoint, {"secret": ["rotated", "rotated"]})
    return secret


@transaction.atomic
def webhook_event_retry(*, by: User, event: WebhookEvent) -> WebhookEvent:
    """Send a failed (or waiting) event now, with a fresh set of attempts;
    the attempts so far stay recorded."""
    event = (
        WebhookEvent.objects.select_for_update()
        .select_related("agency")
        .get(pk=event.pk)
    )
    agency_access(user=by, agency=event.agency, action="manage")
    if event.status == WebhookStatus.DELIVERED:
        raise Conflict("This event was delivered.", code="already_delivered")
    before = [event.status, event.attempts]
    event.status = WebhookStatus.PENDING
    event.attempts = 0
    event.next_attempt_at = timezone.now()
    event.save(update_fields=["status", "attempts", "next_attempt_at"])
    _audit(by, event, {"status": [before[0], event.status], "attempts": [before[1], 0]})
    return event
