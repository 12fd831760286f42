"""Smoke test of ``make run`` as a newcomer runs it (called by .ci/run).

Starts ``make run`` on a free port with none of Navigator's environment set
and an empty NAVIGATOR_VAR_DIR (so: SQLite, the file-system broker, fresh demo
data), waits for /healthz, logs in as the demo navigator through the real login
form (CSRF token, session cookie), loads the Today page and one static file,
waits for the worker's heartbeat in /healthz, then presses "Ctrl-C" (SIGINT to
the process group, as a terminal does) and checks that no process is left.
Standard library only. Exit 0 = passed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USERNAME, PASSWORD = "navigator", "navigator-demo"
# /healthz shows the worker heartbeat only to operators and to this token.
MONITORING_TOKEN = secrets.token_urlsafe(24)
HEALTHZ_TIMEOUT = 180
HEARTBEAT_TIMEOUT = 90
STOP_TIMEOUT = 60
# Everything a deployment sets; the embedded run must work with none of it.
STRIP_PREFIXES = ("CELERY_", "SECURE_", "NAVIGATOR_", "EMAIL_", "SMS_", "WHITENOISE_")
STRIP_NAMES = {
    "DATABASE_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "TIME_ZONE",
    "SITE_URL",
}
# The worker's start-up lines; none may come after the banner (issue 8: they
# buried the URL and the logins).
WORKER_STARTUP = re.compile(r"celery@|\[tasks\]|beat: Starting|mingle|ready\.", re.I)


class SmokeError(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(var_dir: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in STRIP_NAMES and not k.startswith(STRIP_PREFIXES)
    }
    env.update(
        NAVIGATOR_VAR_DIR=str(var_dir),
        NAVIGATOR_MONITORING_TOKEN=MONITORING_TOKEN,
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    return env


def get(
    opener,
    url: str,
    data: dict | None = None,
    timeout: float = 10,
    headers: dict | None = None,
):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310 (http://127.0.0.1)
    if data is not None:
        request.add_header("Referer", url)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.geturl(), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.geturl(), exc.read().decode(errors="replace")


def healthz(base: str) -> tuple[int, dict]:
    status, _, body = get(
        urllib.request.build_opener(),
        base + "healthz",
        timeout=5,
        headers={"Authorization": f"Bearer {MONITORING_TOKEN}"},
    )
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {"raw": body[:200]}


def processes_of(var_dir: Path) -> list[tuple[int, str]]:
    """Every live process that inherited this run's NAVIGATOR_VAR_DIR: all of
    make run's descendants, whatever session or group they moved to."""
    marker = f"NAVIGATOR_VAR_DIR={var_dir}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            stat = (proc / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue  # a zombie is already dead
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found.append((int(proc.name), cmd.strip()))
    return found


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Smoke:
    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.var_dir = Path(tempfile.mkdtemp(prefix="navigator-smoke-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.proc: subprocess.Popen | None = None
        self.t0 = time.monotonic()

    def say(self, msg: str) -> None:
        print(f"[{time.monotonic() - self.t0:6.1f}s] {msg}", flush=True)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def start(self) -> None:
        self.say(f"make run on port {self.port}, NAVIGATOR_VAR_DIR={self.var_dir}")
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                ["make", "--no-print-directory", "run"],  # noqa: S607
                cwd=ROOT,
                env=clean_env(self.var_dir, self.port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: SIGINT it like Ctrl-C
                # As from a terminal, even when CI started us with SIGINT ignored.
                preexec_fn=_default_sigint,
            )

    def wait_for_health(self) -> float:
        deadline = time.monotonic() + HEALTHZ_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SmokeError(f"make run exited early ({self.proc.returncode})")
            try:
                status, body = healthz(self.base)
            except OSError:
                time.sleep(1)
                continue
            if status == 200:
                took = time.monotonic() - self.t0
                self.say(f"/healthz 200 after {took:.1f}s: {json.dumps(body)}")
                return took
            self.say(f"/healthz {status}: {body}")
            time.sleep(1)
        raise SmokeError(f"/healthz not 200 within {HEALTHZ_TIMEOUT}s")

    def log_in_and_browse(self) -> None:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = self.base + "accounts/login/"

        status, _, page = get(opener, login)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            raise SmokeError(f"login page: {status}, CSRF token found: {bool(token)}")

        # A wrong password must not get in, or the check below proves nothing.
        status, url, _ = get(
            opener,
            login,
            {"csrfmiddlewaretoken": token[1], "login": USERNAME, "password": "x"},
        )
        if status != 200 or urllib.parse.urlparse(url).path != "/accounts/login/":
            raise SmokeError(f"a wrong password was not refused ({status} {url})")

        status, _, page = get(opener, login)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        status, url, page = get(
            opener,
            login,
            {
                "csrfmiddlewaretoken": token[1],
                # allauth's login form: the username goes in "login".
                "login": USERNAME,
                "password": PASSWORD,
            },
        )
        path = urllib.parse.urlparse(url).path
        if status != 200 or path.startswith("/accounts/login"):
            raise SmokeError(f"demo login failed: {status} at {url}")
        if not any(c.name == "sessionid" for c in jar):
            raise SmokeError("no session cookie after login")
        self.say(f"logged in as {USERNAME}; landed on {path}")

        status, url, page = get(opener, self.base)
        if status != 200 or "today" not in page.lower():
            raise SmokeError(f"Today page: {status} at {url}")
        self.say("Today page loads (200)")

        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
        if not assets:
            raise SmokeError("the Today page links no static file")
        status, _, _ = get(opener, urllib.parse.urljoin(self.base, assets[0]))
        if status != 200:
            raise SmokeError(f"static file {assets[0]}: {status}")
        self.say(f"static file served: {assets[0]}")

    def check_banner(self) -> None:
        """The banner is there, with this run's URL as SITE_URL, and the
        worker said nothing about starting after it."""
        log = self.log_path.read_text(errors="replace")
        url = f"http://127.0.0.1:{self.port}/"
        marker = f"Navigator is running at {url}"
        if marker not in log:
            raise SmokeError(f"no banner naming {url}")
        after = log.split(marker, 1)[1]
        if f"Links in reminders and calendar feeds: {url}" not in after:
            raise SmokeError("the banner does not show SITE_URL as this run's URL")
        late = [line for line in after.splitlines() if WORKER_STARTUP.search(line)]
        if late:
            raise SmokeError(f"worker start-up lines after the banner: {late[:3]}")
        self.say("banner last, with SITE_URL " + url)

    def wait_for_heartbeat(self) -> float:
        start = time.monotonic()
        deadline = start + HEARTBEAT_TIMEOUT
        while time.monotonic() < deadline:
            status, body = healthz(self.base)
            worker = body.get("worker", {})
            if status == 200 and worker.get("status") == "ok":
                took = time.monotonic() - self.t0
                self.say(f"worker heartbeat seen after {took:.1f}s: {worker}")
                return took
            time.sleep(2)
        raise SmokeError(f"no worker heartbeat in /healthz within {HEARTBEAT_TIMEOUT}s")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.say("Ctrl-C (SIGINT to make run's process group)")
        stop_start = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            raise SmokeError(
                f"make run still running {STOP_TIMEOUT}s after Ctrl-C"
            ) from exc
        deadline = time.monotonic() + 10
        left = processes_of(self.var_dir)
        while left and time.monotonic() < deadline:
            time.sleep(0.5)
            left = processes_of(self.var_dir)
        if left:
            raise SmokeError(f"processes left after Ctrl-C: {left}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                raise SmokeError(f"port {self.port} still answers after Ctrl-C")
        if "Navigator stopped" not in self.log_path.read_text():
            raise SmokeError("make run did not report a clean stop")
        self.say(
            f"stopped in {time.monotonic() - stop_start:.1f}s; "
            "no process left, port closed"
        )

    def cleanup(self) -> None:
        """After a failure: nothing of this run may outlive it."""
        for pid, _ in processes_of(self.var_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, default=Path("make-run.log"))
    args = parser.parse_args()

    smoke = Smoke(args.log)
    ok = False
    try:
        smoke.start()
        first_200 = smoke.wait_for_health()
        smoke.log_in_and_browse()
        heartbeat = smoke.wait_for_heartbeat()
        smoke.check_banner()
        smoke.stop()
        ok = True
    except SmokeError as exc:
        print(f"SMOKE FAILED: {exc}\n--- make run log (tail) ---\n{smoke.log_tail()}")
    finally:
        if not ok:
            if smoke.proc is not None and smoke.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(smoke.proc.pid, signal.SIGKILL)
            smoke.cleanup()
    if ok:
        shutil.rmtree(smoke.var_dir, ignore_errors=True)
        print(
            f"make run smoke passed: /healthz 200 after {first_200:.0f}s, "
            f"heartbeat after {heartbeat:.0f}s, demo login ok, clean stop"
        )
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
