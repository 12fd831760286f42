"""Broker outages on demand: point this process's Celery app at a broker that
refuses connections (a closed port) or one that accepts and never answers.

Tasks are really published while pointed away (not run inline, as the
in-process tests otherwise do), so a publish fails as it does in production.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings

from navigator.celery import app as celery_app


def closed_port() -> int:
    """A port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _drop_pools() -> None:
    # The app caches its connection and producer pools on first publish
    # (kombu keeps them too: closing one here would break it for later tests).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str, options: dict | None = None) -> Iterator[str]:
    """Publish to ``url``; a Redis URL gets production's broker timeouts."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.task_always_eager)
    saved_env = os.environ.get("CELERY_BROKER_URL")
    _drop_pools()
    # Celery reads the environment variable before its own settings.
    os.environ["CELERY_BROKER_URL"] = url
    conf.broker_url = url
    conf.broker_transport_options = (
        dict(settings.BROKER_REDIS_TIMEOUTS) if options is None else options
    )
    conf.task_always_eager = False
    try:
        yield url
    finally:
        _drop_pools()
        conf.broker_url, conf.broker_transport_options, conf.task_always_eager = saved
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env


@contextmanager
def broker_files(folder: Path) -> Iterator[Path]:
    """The embedded file-system broker (decision 0001), in ``folder``."""
    for name in ("queue", "processed", "control"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
    }
    with broker_at("filesystem://localhost/", options):
        yield folder / "queue"


@contextmanager
def broker_refusing() -> Iterator[str]:
    """Redis is down: its port refuses connections."""
    with broker_at(f"redis://127.0.0.1:{closed_port()}/0") as url:
        yield url


@contextmanager
def broker_frozen() -> Iterator[str]:
    """Redis accepts connections and never answers (a paused container)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        with suppress(OSError):
            while True:
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        with broker_at(f"redis://127.0.0.1:{server.getsockname()[1]}/0") as url:
            yield url
    finally:
        with suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        server.close()
        for conn in held:
            conn.close()
