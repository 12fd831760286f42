"""Per-request / per-task context that the audit log records."""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default=""
)
source_var: contextvars.ContextVar[str] = contextvars.ContextVar("source", default="")
# The URL name of the page or API route being answered (or a command's name).
endpoint_var: contextvars.ContextVar[str] = contextvars.ContextVar(
    "endpoint", default=""
)


@contextmanager
def audit_context(
    *, request_id: str, source: str, endpoint: str = ""
) -> Iterator[None]:
    rid = request_id_var.set(request_id)
    src = source_var.set(source)
    end = endpoint_var.set(endpoint)
    try:
        yield
    finally:
        request_id_var.reset(rid)
        source_var.reset(src)
        endpoint_var.reset(end)


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True
