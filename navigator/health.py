"""``/healthz``: is the database answering, and is the broker reachable."""

from __future__ import annotations

import time

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache


def _check_database() -> dict:
    start = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; it is reported
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor, "ms": _ms(start)}


def _check_broker() -> dict:
    from navigator.celery import app

    start = time.monotonic()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # unreachable broker of any kind is reported as down
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "ok", "transport": str(transport), "ms": _ms(start)}


def _check_worker() -> dict:
    """When a worker last ran the scheduled heartbeat. Informational: the
    web process stays healthy while workers restart."""
    from navigator.models import WorkerHeartbeat

    try:
        last = WorkerHeartbeat.objects.order_by("-seen_at").first()
    except Exception as exc:  # no table yet (before migrate) is reported
        return {"status": "unknown", "error": exc.__class__.__name__}
    if last is None:
        return {"status": "unknown", "last_seen": None}
    age = (timezone.now() - last.seen_at).total_seconds()
    return {
        "status": "ok" if age < 180 else "stale",
        "last_seen": last.seen_at.isoformat(),
        "seconds_ago": round(age),
    }


def _ms(start: float) -> float:
    return round((time.monotonic() - start) * 1000, 1)


@never_cache
def healthz(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(c["status"] == "ok" for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", **checks, "worker": _check_worker()},
        status=200 if healthy else 503,
    )
