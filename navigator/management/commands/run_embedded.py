"""``manage.py run_embedded``: the web app and a worker with beat, together.

This is what ``make run`` ends with (after migrate, seed_demo, collectstatic);
docs/decisions/0001-embedded-mode.md explains the choices. Each child runs in
its own session so that Ctrl-C reaches only this supervisor, which then stops
them in order (SIGTERM: gunicorn and Celery shut down gracefully) and kills
whatever is left of each child's process group, so no worker outlives it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEMO_LOGINS = ("navigator", "caseworker", "manager", "admin", "clinic", "housing")
DEMO_PASSWORD = "navigator-demo"  # noqa: S105 (the documented demo password)
STOP_GRACE_SECONDS = 20
READY_TIMEOUT_SECONDS = 120


def _die_with_parent() -> None:  # pragma: no cover (runs in the child)
    """If the supervisor is killed outright (SIGKILL), Linux still sends the
    child SIGTERM, so a worker never runs on without its web app."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _gunicorn_has_control_socket() -> bool:
    import gunicorn

    return tuple(gunicorn.version_info[:1]) >= (27,)


class Command(BaseCommand):
    help = "Run the web app (gunicorn) and a Celery worker with embedded beat."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="bind address")
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT", "8000")),
            help="bind port (default 8000, or $PORT)",
        )
        parser.add_argument(
            "--web-workers", type=int, default=2, help="gunicorn worker processes"
        )
        parser.add_argument(
            "--worker-loglevel",
            default="WARNING",
            choices=["DEBUG", "INFO", "WARNING", "ERROR"],
            help="the Celery worker's log level (default WARNING: quiet)",
        )

    def handle(
        self,
        *args: object,
        host: str,
        port: int,
        web_workers: int,
        worker_loglevel: str,
        **options: object,
    ) -> None:
        self._port_is_free(host, port)
        var_dir = Path(settings.VAR_DIR)
        for folder in self._folders(var_dir):
            folder.mkdir(parents=True, exist_ok=True)

        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = False
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGHUP, self._on_signal)

        python = sys.executable
        # Quiet (no start-up banner, warnings and errors only): its start-up
        # lines came after ours and buried the URL and logins (issue 8).
        # `--worker-loglevel INFO` to watch every task.
        worker_cmd = [
            python, "-m", "celery", "-A", "navigator", "--quiet", "worker",
            "--beat",  # embedded beat: one machine, so exactly one scheduler
            "--schedule", str(var_dir / "celerybeat-schedule"),
            "--concurrency", "2",
            "--hostname", f"embedded-{port}@%h",
            "--loglevel", worker_loglevel,
        ]  # fmt: skip
        web_cmd = [
            python, "-m", "gunicorn", "navigator.wsgi:application",
            "--bind", f"{host}:{port}",
            "--workers", str(web_workers),
            "--threads", "4",
            "--graceful-timeout", "10",
            "--access-logfile", "-",
            "--log-level", "info",
        ]  # fmt: skip
        if _gunicorn_has_control_socket():
            # gunicorn 27+ opens ~/.gunicorn/gunicorn.ctl; two demos (or a demo
            # and CI's smoke run) would fight over that one path.
            web_cmd.append("--no-control-socket")
        try:
            self._start("worker", worker_cmd)
            self._start("web", web_cmd)
            url = f"http://{self._display_host(host)}:{port}/"
            self._wait_until_serving(url)
            failure = ""
            if not self.stopping:
                self._banner(url)
                failure = self._supervise()
        finally:
            self._stop_all()
        if failure:
            raise CommandError(f"{failure}; stopped the other one too")
        self.stdout.write("Navigator stopped; web app and worker are down.")

    # -- start ---------------------------------------------------------------
    @staticmethod
    def _folders(var_dir: Path) -> list[Path]:
        folders = [var_dir]
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
        keys = (
            "data_folder_in",
            "data_folder_out",
            "processed_folder",
            "control_folder",
        )
        for key in keys:
            if options.get(key):
                folders.append(Path(options[key]))
        for name in ("EMAIL_FILE_PATH", "SMS_FILE_PATH"):
            if getattr(settings, name, None):
                folders.append(Path(getattr(settings, name)))
        return folders

    @staticmethod
    def _display_host(host: str) -> str:
        # A wildcard bind is reached through loopback from this machine.
        return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104

    @staticmethod
    def _port_is_free(host: str, port: int) -> None:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                raise CommandError(
                    f"{host}:{port} is not free ({exc.strerror}); "
                    f"choose another port: make run PORT={port + 1}"
                ) from exc

    def _start(self, name: str, cmd: list[str]) -> None:
        self.children[name] = subprocess.Popen(  # noqa: S603 (fixed argv, our venv)
            cmd,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # safe: this process starts no threads
        )

    def _wait_until_serving(self, url: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not self.stopping:
            self._check_children()
            try:
                with urllib.request.urlopen(f"{url}healthz", timeout=5):  # noqa: S310
                    return
            except urllib.error.HTTPError:
                return  # it answers; /healthz explains what is down
            except OSError:
                time.sleep(0.5)
        if not self.stopping:
            raise CommandError(f"the web app did not answer at {url} in time")

    def _banner(self, url: str) -> None:
        logins = ", ".join(DEMO_LOGINS)
        lines = [
            "",
            "=" * 64,
            f"  Navigator is running at {url}",
            f"  Demo logins: {logins}",
            f"  Password (all of them): {DEMO_PASSWORD}",
            f"  Health: {url}healthz   Data: {settings.VAR_DIR}",
            f"  Links in reminders and calendar feeds: {settings.SITE_URL}/",
            "  Background jobs: Celery worker + beat on the file-system broker",
            "  Press Ctrl-C to stop both.",
            "=" * 64,
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    # -- run and stop --------------------------------------------------------
    def _on_signal(self, signum, frame) -> None:
        self.stopping = True

    def _check_children(self) -> None:
        for name, proc in self.children.items():
            code = proc.poll()
            if code is not None and not self.stopping:
                raise CommandError(f"the {name} process exited (code {code})")

    def _supervise(self) -> str:
        """Until a signal (""), or until a child dies (what happened to it)."""
        while not self.stopping:
            for name, proc in self.children.items():
                code = proc.poll()
                if code is not None:
                    how = f"signal {-code}" if code < 0 else f"exit code {code}"
                    return f"the {name} process stopped unexpectedly ({how})"
            time.sleep(0.5)
        return ""

    def _stop_all(self) -> None:
        self.stdout.write("Stopping the web app and the worker...")
        self.stdout.flush()
        # Web first, so no new work is queued while the worker drains.
        # Only the main processes: each stops its own pool (gunicorn workers,
        # Celery pool processes and embedded beat) in order.
        for name in ("web", "worker"):
            proc = self.children.get(name)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for proc in self.children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.children.values():
            # Anything still alive in the child's group (a pool process, the
            # embedded beat) is killed; the group was created for this.
            self._signal_group(proc, signal.SIGKILL)
            if proc.poll() is None:
                proc.wait(timeout=5)

    @staticmethod
    def _signal_group(proc: subprocess.Popen, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)
