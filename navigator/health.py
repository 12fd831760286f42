"""``/healthz``: is the database answering, and is the broker reachable.

Anyone (a load balancer, docker-compose) gets only ``{"status": "ok"}`` (200)
or ``{"status": "down"}`` (503). What is down, the database vendor, the broker
transport and the worker's last heartbeat describe the deployment to an
attacker (OWASP ASVS 4 V14.3.3), so they go only to a signed-in operator
(the Django staff flag, or an active admin role) or to a monitoring system
that sends ``Authorization: Bearer <NAVIGATOR_MONITORING_TOKEN>``.
"""

from __future__ import annotations

import hmac
import os
import time
from pathlib import Path

from django.conf import settings
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
            transport = conn.transport_cls
            if transport == "filesystem":
                _check_broker_folders(conn.transport_options)
            else:
                conn.ensure_connection(max_retries=1, interval_start=0.2, timeout=2)
    except Exception as exc:  # unreachable broker of any kind is reported as down
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "ok", "transport": str(transport), "ms": _ms(start)}


def _check_broker_folders(options: dict) -> None:
    """The file-system transport "connects" to anything; what can fail is the
    queue folder (missing, or not writable by this process)."""
    for key in ("data_folder_in", "data_folder_out"):
        folder = Path(options.get(key, ""))
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise NotADirectoryError(f"{key}={folder}")


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


def _monitoring_token_given(request) -> bool:
    expected = settings.NAVIGATOR_MONITORING_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    # Constant time: the comparison must not tell how much of a guess was right.
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def may_see_details(request) -> bool:
    from navigator.selectors import is_administrator

    if is_administrator(user=request.user):
        return True
    return _monitoring_token_given(request)


@never_cache
def healthz(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(c["status"] == "ok" for c in checks.values())
    body: dict[str, object] = {"status": "ok" if healthy else "down"}
    if may_see_details(request):
        body.update(checks, worker=_check_worker())
    return JsonResponse(body, status=200 if healthy else 503)
