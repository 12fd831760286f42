"""Container health checks for docker-compose.yml: ``healthcheck.py web|worker|beat``.

Exit 0 = healthy. Standard library (and, for the worker, the Celery app) only.
"""

from __future__ import annotations

import glob
import os
import socket
import sys
import time
import urllib.request

BEAT_SCHEDULE = os.environ.get("BEAT_SCHEDULE", "/app/var/celerybeat-schedule")
# beat rewrites its schedule file at least every few minutes while it ticks
# (sync every 3 min; the heartbeat entry is due every 60 s).
BEAT_STALE_SECONDS = 10 * 60


def web() -> bool:
    """/healthz as a browser behind the TLS proxy would ask for it: an allowed
    Host and X-Forwarded-Proto, so ALLOWED_HOSTS and SECURE_SSL_REDIRECT hold.
    Only the status code counts (200 up, 503 down), which /healthz tells
    anyone: no monitoring token needed."""
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
    host = next((h.lstrip(".") for h in hosts if h and h != "*"), "localhost")
    request = urllib.request.Request(
        "http://127.0.0.1:8000/healthz",
        headers={"Host": host, "X-Forwarded-Proto": "https"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return response.status == 200


def worker() -> bool:
    """This container's worker answers a ping through the broker."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navigator.settings")
    from navigator.celery import app

    name = f"celery@{socket.gethostname()}"
    return bool(app.control.ping(destination=[name], timeout=5))


def beat() -> bool:
    files = glob.glob(BEAT_SCHEDULE + "*")
    if not files:
        return False
    newest = max(os.path.getmtime(f) for f in files)
    return time.time() - newest < BEAT_STALE_SECONDS


if __name__ == "__main__":
    checks = {"web": web, "worker": worker, "beat": beat}
    if len(sys.argv) != 2 or sys.argv[1] not in checks:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(checks)}")
    try:
        healthy = checks[sys.argv[1]]()
    except Exception as exc:  # any failure to answer is "unhealthy"
        print(f"{sys.argv[1]}: {exc.__class__.__name__}: {exc}")
        healthy = False
    sys.exit(0 if healthy else 1)
