"""Test email backend: the idempotent file mailbox, plus a log of every send
the worker attempted, so a test can tell "asked to send twice" from "delivered
twice"."""

from __future__ import annotations

import os
from pathlib import Path

from followups.channels import IdempotentFileEmailBackend


class CountingFileEmailBackend(IdempotentFileEmailBackend):
    def send_messages(self, email_messages) -> int:
        log = Path(self.file_path).parent / "send-attempts.log"
        for message in email_messages:
            line = f"{message.extra_headers.get('Message-ID', '')}\n".encode()
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)  # one O_APPEND write per line: never interleaved
            finally:
                os.close(fd)
        return super().send_messages(email_messages)
