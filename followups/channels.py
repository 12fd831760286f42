"""Where reminders go: email through Django's backend, SMS through SMS_BACKEND.

Every send carries an idempotency key that is stable across retries
(reminder, channel, recipient). A backend that can drop a repeated key does:
the file backends here write one file per key with an atomic link, so a
worker killed between "sent" and "recorded" cannot make a second copy; the
HTTP SMS backend sends the key as ``Idempotency-Key``; SMTP carries it as the
Message-ID, which mail clients use to collapse duplicates.
See docs/decisions/0003-reminders-exactly-once.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.module_loading import import_string

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def delivery_key(*, reminder_id: int, channel: str, recipient: str) -> str:
    digest = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:16]
    return f"navigator-{reminder_id}-{channel}-{digest}"


def write_once(directory: str | Path, name: str, content: bytes) -> bool:
    """Write ``directory/name`` unless it exists. True if this call wrote it.

    The content goes to a temporary file first and is then hard-linked into
    place, so the final file is either absent or complete, never half written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / _SAFE.sub("_", name)
    if final.exists():
        return False
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            # No fsync: a killed process loses nothing already written to the
            # page cache, and this backend stands in for a mail server.
            handle.write(content)
        try:
            os.link(tmp, final)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(tmp)


class IdempotentFileEmailBackend(BaseEmailBackend):
    """Django email backend: one ``.eml`` file per Message-ID under EMAIL_FILE_PATH."""

    def __init__(self, *args, file_path: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_path = file_path or settings.EMAIL_FILE_PATH

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            msg = message.message()
            key = str(msg["Message-ID"]).strip("<>")
            write_once(self.file_path, f"{key}.eml", msg.as_bytes())
            sent += 1
        return sent


def send_email(*, to: str, subject: str, body: str, key: str) -> str:
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": f"<{key}@navigator>"},
        connection=get_connection(fail_silently=False),
    )
    message.send(fail_silently=False)
    return f"<{key}@navigator>"


class BaseSMSBackend:
    def send(self, *, to: str, body: str, key: str) -> str:
        """Send one text; return the provider's message id."""
        raise NotImplementedError


class FileSMSBackend(BaseSMSBackend):
    """Writes each text as JSON under SMS_FILE_PATH (the default: nothing leaves)."""

    def send(self, *, to: str, body: str, key: str) -> str:
        payload = json.dumps({"to": to, "body": body, "key": key}).encode()
        write_once(settings.SMS_FILE_PATH, f"{key}.json", payload)
        return key


class ConsoleSMSBackend(BaseSMSBackend):
    def send(self, *, to: str, body: str, key: str) -> str:
        print(f"SMS to {to} [{key}]: {body}")  # noqa: T201 (the console backend's job)
        return key


class HttpSMSBackend(BaseSMSBackend):
    """POST ``{"to", "body"}`` as JSON to SMS_HTTP_URL with a bearer token.

    The idempotency key goes in the ``Idempotency-Key`` header, so a provider
    that honours it drops a retried send. The provider's JSON ``id`` is kept.
    """

    timeout = 10

    def send(self, *, to: str, body: str, key: str) -> str:
        url = settings.SMS_HTTP_URL
        if not url.startswith(("https://", "http://")):
            raise ValueError("SMS_HTTP_URL must be an http(s) URL.")
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url,
            data=json.dumps({"to": to, "body": body}).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
                "Idempotency-Key": key,
            },
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            data = json.loads(response.read() or b"{}")
        return str(data.get("id", ""))


def get_sms_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, to: str, body: str, key: str) -> str:
    return get_sms_backend().send(to=to, body=body, key=key)
