"""Standard Webhooks 1.0 signatures (https://www.standardwebhooks.com/,
"Signature scheme"): ``webhook-signature: v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">``, several space-separated during a rotation,
with the maintained ``standardwebhooks`` package doing the HMAC."""

from __future__ import annotations

import base64
import datetime
import secrets

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 (the spec's prefix, not a secret)
SECRET_BYTES = 32  # the spec: between 24 and 64 bytes


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_header(
    *, msg_id: str, timestamp: datetime.datetime, body: str, secrets_: list[str]
) -> str:
    return " ".join(
        Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body)
        for secret in secrets_
    )


def headers(
    *, msg_id: str, timestamp: datetime.datetime, body: str, secrets_: list[str]
) -> dict[str, str]:
    """The three headers of the spec, for ``body`` sent at ``timestamp``
    (UTC; whole seconds since the epoch)."""
    timestamp = timestamp.astimezone(datetime.UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(
            msg_id=msg_id, timestamp=timestamp, body=body, secrets_=secrets_
        ),
    }
