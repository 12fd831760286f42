"""``/healthz``: database and broker status (503 when either is down), and when
a worker last ran the heartbeat (informational). Anyone sees up / down; the
details only operators and the monitoring token."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from navigator.celery import app as celery_app
from navigator.models import Role, WorkerHeartbeat
from tests.factories import UserFactory, member

MONITORING_TOKEN = "monitor-4f8a1c2e9b7d"


def _require(reason: str) -> None:
    """Skip on a newcomer's machine; fail where the services must be there."""
    if os.environ.get("NAVIGATOR_REQUIRE_SERVICES") == "1" or (
        os.environ.get("CI") == "true"
    ):
        pytest.fail(f"{reason} (required: NAVIGATOR_REQUIRE_SERVICES=1 or CI=true)")
    pytest.skip(reason)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def use_broker(monkeypatch):
    """Point the Celery app at another broker for one test. Celery reads
    CELERY_BROKER_URL from the environment before its own settings."""

    def use(url: str, transport_options: dict | None = None) -> None:
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        monkeypatch.setitem(
            celery_app.conf, "broker_transport_options", transport_options or {}
        )

    return use


@pytest.fixture
def filesystem_broker(use_broker, tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    use_broker(
        "filesystem://",
        {"data_folder_in": str(queue), "data_folder_out": str(queue)},
    )
    return queue


@pytest.fixture
def monitor(settings) -> Client:
    """A monitoring system with the configured token: it sees the details."""
    settings.NAVIGATOR_MONITORING_TOKEN = MONITORING_TOKEN
    return Client(headers={"Authorization": f"Bearer {MONITORING_TOKEN}"})


def test_ok_with_the_embedded_file_system_broker(monitor, db, filesystem_broker):
    response = monitor.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["broker"] == {
        "status": "ok",
        "transport": "filesystem",
        "ms": body["broker"]["ms"],
    }


def test_down_when_the_file_system_queue_folder_is_missing(
    monitor, db, use_broker, tmp_path
):
    missing = str(tmp_path / "no-such-folder")
    use_broker("filesystem://", {"data_folder_in": missing, "data_folder_out": missing})

    response = monitor.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"]["status"] == "down"


def test_broker_down_on_a_closed_port_is_503_with_database_ok(monitor, db, use_broker):
    use_broker(f"redis://127.0.0.1:{_closed_port()}/0")

    response = monitor.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"]["status"] == "ok"
    assert body["broker"]["status"] == "down"
    # The reason is named, without the URL (it may hold a password).
    assert body["broker"]["error"]
    assert "127.0.0.1" not in response.content.decode()


def test_ok_with_redis(monitor, db, settings):
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        _require("needs CELERY_BROKER_URL=redis://... (e.g. redis://127.0.0.1:6379/1)")

    response = monitor.get("/healthz")

    assert response.status_code == 200, response.content
    assert response.json()["broker"]["transport"] == "redis"


def test_anonymous_callers_learn_only_up_or_down(
    client, db, filesystem_broker, use_broker
):
    WorkerHeartbeat.objects.create(name="w1", seen_at=timezone.now())
    up = client.get("/healthz")
    assert (up.status_code, up.json()) == (200, {"status": "ok"})

    use_broker(f"redis://127.0.0.1:{_closed_port()}/0")
    down = client.get("/healthz")
    assert (down.status_code, down.json()) == (503, {"status": "down"})


@pytest.mark.parametrize(
    "header",
    [f"Bearer {MONITORING_TOKEN}x", "Bearer ", f"Token {MONITORING_TOKEN}", ""],
)
def test_a_wrong_token_is_an_anonymous_caller(header, settings, db, filesystem_broker):
    settings.NAVIGATOR_MONITORING_TOKEN = MONITORING_TOKEN
    response = Client(headers={"Authorization": header}).get("/healthz")
    assert response.json() == {"status": "ok"}


def test_no_token_works_when_none_is_configured(settings, db, filesystem_broker):
    settings.NAVIGATOR_MONITORING_TOKEN = ""
    response = Client(headers={"Authorization": "Bearer "}).get("/healthz")
    assert response.json() == {"status": "ok"}


def test_operators_see_the_details_and_other_users_do_not(
    client, db, program_a, filesystem_broker
):
    superuser = UserFactory(is_superuser=True)
    # Django's staff flag is not a role (navigator.selectors.is_administrator).
    staff = UserFactory(is_staff=True)
    admin = member(program_a, Role.ADMIN)
    navigator = member(program_a, Role.NAVIGATOR)
    cases = ((superuser, True), (staff, False), (admin, True), (navigator, False))
    for user, details in cases:
        client.force_login(user)
        body = client.get("/healthz").json()
        assert ("database" in body and "worker" in body) is details, user
        assert body["status"] == "ok"


def test_answers_anonymous_requests_and_is_never_cached(client, db, filesystem_broker):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


class TestWorker:
    """The worker's last heartbeat is reported but does not fail the check:
    web processes stay in rotation while workers restart."""

    def test_unknown_before_any_heartbeat(self, monitor, db, filesystem_broker):
        body = monitor.get("/healthz").json()

        assert body["worker"] == {"status": "unknown", "last_seen": None}

    def test_ok_after_a_recent_heartbeat(self, monitor, db, filesystem_broker):
        WorkerHeartbeat.objects.create(
            name="w1", seen_at=timezone.now() - timedelta(seconds=30)
        )

        body = monitor.get("/healthz").json()

        assert body["worker"]["status"] == "ok"
        assert 29 <= body["worker"]["seconds_ago"] <= 60

    def test_stale_when_the_newest_heartbeat_is_old(
        self, monitor, db, filesystem_broker
    ):
        now = timezone.now()
        WorkerHeartbeat.objects.create(name="old", seen_at=now - timedelta(hours=2))
        WorkerHeartbeat.objects.create(name="gone", seen_at=now - timedelta(minutes=5))

        response = monitor.get("/healthz")

        assert response.status_code == 200
        assert response.json()["worker"]["status"] == "stale"
        assert response.json()["worker"]["seconds_ago"] >= 300

    def test_heartbeat_task_records_the_worker(self, db):
        from navigator.tasks import worker_heartbeat

        worker_heartbeat.delay(name="eager-worker")
        worker_heartbeat.delay(name="eager-worker")

        assert WorkerHeartbeat.objects.filter(name="eager-worker").count() == 1
