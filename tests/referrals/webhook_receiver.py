"""A partner's webhook receiver for the tests: a tiny threaded HTTP server
that verifies each delivery with the ``standardwebhooks`` package, answers
500 to the first ``fail_first`` posts of each message, and dedupes on
``webhook-id`` as the spec asks a receiver to (Standard Webhooks 1.0,
"Idempotency"): ``accepted`` counts each id the first time it is taken."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(
        self, *, secret: str = "", fail_first: int = 0, delay: float = 0.0
    ) -> None:
        self.secret = secret
        self.delay = delay  # seconds before each answer (a slow partner)
        self.fail_first = fail_first
        self.lock = threading.Lock()
        self.posts: Counter[str] = Counter()  # every post, by webhook-id
        self.accepted: Counter[str] = Counter()  # taken (first good post)
        self.bodies: dict[str, dict[str, Any]] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                status = receiver.take(raw, dict(self.headers.items()))
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/navigator"

    def take(self, raw: bytes, headers: dict[str, str]) -> int:
        lowered = {k.lower(): v for k, v in headers.items()}
        msg_id = lowered.get("webhook-id", "")
        if self.secret:
            try:
                Webhook(self.secret).verify(raw, lowered)
            except WebhookVerificationError:
                with self.lock:
                    self.bad_signatures += 1
                return 401
        with self.lock:
            self.posts[msg_id] += 1
            if self.posts[msg_id] <= self.fail_first:
                return 500
            if msg_id not in self.accepted:
                self.accepted[msg_id] += 1
                self.bodies[msg_id] = json.loads(raw)
                self.headers[msg_id] = lowered
            return 200  # a repeat: dropped, but answered 2xx

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
