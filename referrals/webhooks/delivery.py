"""Delivering webhook events from the database (docs/decisions/0015).

At least once, never lost: each event is claimed in its own transaction
with ``SELECT … FOR UPDATE SKIP LOCKED`` (two workers never hold one
event), sent while the row is locked, and its outcome committed with the
lock's release. A worker killed mid-send rolls nothing forward: the row is
still pending and the next claim sends it again under the same
``webhook-id``, which a receiver that dedupes drops (Standard Webhooks 1.0,
"Idempotency"). A failure is retried with exponential backoff and jitter up
to WEBHOOK_MAX_ATTEMPTS, then the event is ``failed`` and shown to the
program managers (referrals/webhooks/views.py).
"""

from __future__ import annotations

import datetime
import json
import logging
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from referrals.models import (
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEvent,
    WebhookStatus,
)
from referrals.webhooks import signing

log = logging.getLogger(__name__)

ERROR_MAX = 500


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new address to post the event to."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects())


def body_of(event: WebhookEvent) -> str:
    return json.dumps(event.payload, separators=(",", ":"), sort_keys=True)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime.datetime) -> list[str]:
    """The current secret, and during a rotation the previous one too."""
    found = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until
        and endpoint.previous_secret_until > now
    ):
        found.append(endpoint.previous_secret)
    return found


def backoff(attempts: int) -> datetime.timedelta:
    """After the ``attempts``-th failure: base·2^(n-1), capped, with jitter
    (half to all of it) so a receiver back from an outage is not hit by
    every retry at once."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    delay = min(base * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_SECONDS)
    return datetime.timedelta(seconds=delay * random.uniform(0.5, 1.0))  # noqa: S311 (jitter, not a secret)


@dataclass
class Outcome:
    http_status: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300


def post(url: str, body: str, headers: dict[str, str]) -> Outcome:
    if not url.startswith(("https://", "http://")):  # never file: or ftp:
        return Outcome(None, "The endpoint's address is not http(s).", 0)
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=body.encode(),
        method="POST",
        headers={
            **headers,
            "content-type": "application/json",
            "user-agent": "Navigator-Webhooks/1",
        },
    )
    started = time.monotonic()
    status: int | None = None
    error = ""
    try:
        # The URL is https (or http to localhost), checked when saved.
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:  # noqa: S310
            status = answer.status
            answer.read(1024)
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except Exception as exc:  # refused, timed out, TLS, DNS: all retried
        error = f"{type(exc).__name__}: {exc}"
    duration = int((time.monotonic() - started) * 1000)
    return Outcome(http_status=status, error=error[:ERROR_MAX], duration_ms=duration)


def _claim() -> WebhookEvent | None:
    return (
        WebhookEvent.objects.filter(
            status=WebhookStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .select_for_update(skip_locked=True)
        .order_by("next_attempt_at", "created_at")
        .first()
    )


def _endpoint(agency_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(agency_id=agency_id, is_active=True).first()


def attempt(event: WebhookEvent, endpoint: WebhookEndpoint | None) -> bool:
    """Send ``event`` once (the caller holds its row lock) and record the
    attempt and the event's new state. True when delivered."""
    now = timezone.now()
    if endpoint is None:
        outcome = Outcome(None, "The agency has no active webhook endpoint.", 0)
    else:
        body = body_of(event)
        outcome = post(
            endpoint.url,
            body,
            signing.headers(
                msg_id=event.id,
                timestamp=now,
                body=body,
                secrets_=signing_secrets(endpoint, now),
            ),
        )
    WebhookAttempt.objects.create(
        event=event,
        at=now,
        http_status=outcome.http_status,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
    )
    event.attempts += 1
    if outcome.ok:
        event.status = WebhookStatus.DELIVERED
        event.delivered_at = timezone.now()
        event.last_error = ""
    else:
        event.last_error = outcome.error or f"HTTP {outcome.http_status}"
        if endpoint is None or event.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            event.status = WebhookStatus.FAILED
        else:
            event.next_attempt_at = now + backoff(event.attempts)
    event.save(
        update_fields=[
            "attempts",
            "status",
            "delivered_at",
            "last_error",
            "next_attempt_at",
        ]
    )
    return outcome.ok


def anything_due() -> bool:
    return WebhookEvent.objects.filter(
        status=WebhookStatus.PENDING, next_attempt_at__lte=timezone.now()
    ).exists()


def deliver_due(*, limit: int | None = None) -> dict[str, int]:
    """Send due events one by one, each in its own transaction, until none
    is due (or ``limit``). Safe beside other workers and after any crash."""
    stats = {"delivered": 0, "retrying": 0, "failed": 0}
    endpoints: dict[int, WebhookEndpoint | None] = {}
    # A task ends within about a minute even against receivers that time
    # out; the next beat's tasks take over what is left.
    deadline = time.monotonic() + settings.WEBHOOK_TASK_SECONDS
    for _ in range(limit or settings.WEBHOOK_BATCH_LIMIT):
        if time.monotonic() > deadline:
            break
        with transaction.atomic():
            event = _claim()
            if event is None:
                break
            if event.agency_id not in endpoints:
                endpoints[event.agency_id] = _endpoint(event.agency_id)
            ok = attempt(event, endpoints[event.agency_id])
        if ok:
            stats["delivered"] += 1
        elif event.status == WebhookStatus.FAILED:
            stats["failed"] += 1
        else:
            stats["retrying"] += 1
    return stats
