"""``Idempotency-Key`` on API writes: a retried request writes nothing new.

A client that did not hear the answer to a write (a dropped connection, a
timeout) sends it again with the same key and gets the first answer back,
status and body, instead of a second encounter. The same key with another
request (body, method or path) is a 409 ``idempotency_key_reused``; a second
request while the first still runs is a 409 ``idempotency_key_in_progress``.
Keys belong to the user (or token owner) and last 24 hours. The header and
its semantics follow the IETF draft "The Idempotency-Key HTTP Header Field"
(draft-ietf-httpapi-idempotency-key-header); docs/decisions/0006.

How a keyed request runs, so that two never both write:
1. After authentication, a row (user, key) is inserted and committed if
   there is none (a unique constraint decides between racing requests).
2. A transaction opens and locks that row with ``NOWAIT``: if another
   request holds it, this one is "in progress" (409).
3. The view runs inside that transaction; its response is stored in the row
   in the same transaction. A request that dies rolls back its write and the
   response together, so a row still without a response and not locked
   belongs to a dead request, and the next one takes it over.
Only a hash of the request is kept; the response is (it may hold health
data: it lives in the record's own database and goes after 24 hours).
5xx responses are not stored, and their transaction is rolled back, so a
retry runs again. (SQLite has no row locks: there, racing requests wait for
the write lock, and the second gets the first's stored answer.)
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction
from django.http import HttpResponse
from django.utils import timezone

from navigator.errors import Conflict, DomainError
from navigator.models import IdempotencyKey

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

    # What IdempotentWritesMixin is mixed into, so mypy knows super().
    _ViewBase = APIView
else:
    _ViewBase = object

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
TTL = datetime.timedelta(hours=24)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Set on replayed answers (as payment APIs do), so a client can tell.
REPLAYED_HEADER = "Idempotent-Replayed"


class Replay(Exception):
    """Raised from ``initial`` to answer with the stored response."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("replayed")
        self.response = response


class _Claim:
    """A keyed request that runs: holds the row's lock and the transaction."""

    def __init__(self, key: IdempotencyKey, atomic: transaction.Atomic) -> None:
        self.key = key
        self.atomic = atomic

    def finish(self, response: HttpResponse) -> HttpResponse:
        """Store a non-5xx response with the write, commit; else roll back."""
        try:
            if response.status_code < 500 and not transaction.get_rollback():
                if hasattr(response, "render"):
                    response.render()
                self.key.status_code = response.status_code
                self.key.content_type = response.get("Content-Type", "")
                self.key.response_body = response.content
                self.key.save(
                    update_fields=["status_code", "content_type", "response_body"]
                )
            else:
                transaction.set_rollback(True)
        except BaseException as exc:
            self.abort(exc)
            raise
        self.atomic.__exit__(None, None, None)
        return response

    def abort(self, exc: BaseException) -> None:
        """Roll the write back: the request failed; a retry runs again."""
        self.atomic.__exit__(type(exc), exc, exc.__traceback__)


def begin(request) -> _Claim | None:
    """Claim the request's key, or raise Replay / a 400 / a 409. None when
    the request carries no key (or is not an API write)."""
    raw = request.headers.get(HEADER)
    if (
        raw is None
        or request.method not in UNSAFE_METHODS
        or not request.path.startswith("/api/")
        or not request.user.is_authenticated
    ):
        return None
    key = _validated(raw)
    fingerprint = _fingerprint(request)
    now = timezone.now()
    # Committed on its own (autocommit), so racing requests see the row.
    IdempotencyKey.objects.bulk_create(
        [
            IdempotencyKey(
                user=request.user, key=key, fingerprint=fingerprint, created_at=now
            )
        ],
        ignore_conflicts=True,
    )
    atomic = transaction.atomic()
    atomic.__enter__()
    try:
        row = _lock(request.user, key)
        if row.created_at <= now - TTL:  # expired, not yet cleaned up: new
            row.fingerprint, row.created_at = fingerprint, now
            row.status_code, row.content_type, row.response_body = None, "", b""
            row.save()
        elif row.fingerprint != fingerprint:
            raise Conflict(
                f"This {HEADER} was used with another request (method, path or "
                "body). Use a new key for a new request.",
                code="idempotency_key_reused",
            )
        elif row.status_code is not None:
            raise Replay(_replayed(row))
        # Else no response and not locked: its request died; this one runs.
    except BaseException as exc:
        atomic.__exit__(type(exc), exc, exc.__traceback__)
        raise
    return _Claim(row, atomic)


def _lock(user, key: str) -> IdempotencyKey:
    try:
        with transaction.atomic():  # a savepoint: a refused lock stays local
            return IdempotencyKey.objects.select_for_update(nowait=True).get(
                user=user, key=key
            )
    except DatabaseError:
        raise Conflict(
            f"A request with this {HEADER} is still in progress. Retry later.",
            code="idempotency_key_in_progress",
        ) from None


def _validated(raw: str) -> str:
    # RFC 9110 field values may carry more, but a key is an opaque token:
    # printable ASCII (the IETF draft's examples are UUIDs).
    if not raw or len(raw) > MAX_LENGTH or not all(" " <= c <= "~" for c in raw):
        raise DomainError.for_field(
            HEADER,
            f"{HEADER} must be 1 to {MAX_LENGTH} printable ASCII characters.",
        )
    return raw


def _fingerprint(request) -> str:
    """A hash of what makes two requests "the same": method, path with its
    query, and the JSON body (parsed, so key order and spacing do not count)."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    text = "\n".join([request.method, request.get_full_path(), body])
    return hashlib.sha256(text.encode()).hexdigest()


def _replayed(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(row.response_body), status=row.status_code, content_type=row.content_type
    )
    response[REPLAYED_HEADER] = "true"
    return response


def expire(now: datetime.datetime | None = None) -> int:
    """Delete keys older than 24 hours (their responses with them)."""
    cutoff = (now or timezone.now()) - TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted


class IdempotentWritesMixin(_ViewBase):
    """Every API write accepts ``Idempotency-Key`` (mixed into ApiViewMixin)."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # A method this view does not answer is a 405 whatever the key: no
        # claim, so the key stays free for the request the client meant.
        if getattr(self, (request.method or "").lower(), None) is None:
            return
        self._idempotency = begin(request)

    # A replay answers with the stored response, a plain HttpResponse: DRF
    # takes any HttpResponseBase from these two methods (it asserts no more),
    # though its stubs say Response.
    def handle_exception(self, exc: Exception) -> HttpResponse:  # type: ignore[override]
        if isinstance(exc, Replay):
            return exc.response
        try:
            return super().handle_exception(exc)
        except BaseException as uncaught:  # a 500: the write is rolled back
            claim = self.__dict__.pop("_idempotency", None)
            if claim is not None:
                claim.abort(uncaught)
            raise

    def finalize_response(  # type: ignore[override]
        self, request: Request, response: HttpResponse, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        claim = self.__dict__.pop("_idempotency", None)
        try:
            response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[arg-type]
        except BaseException as exc:
            if claim is not None:
                claim.abort(exc)
            raise
        return claim.finish(response) if claim is not None else response


# --- OpenAPI ------------------------------------------------------------------

_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_LENGTH,
        "pattern": "^[ -~]+$",  # printable ASCII, as _validated checks
    },
    "description": (
        "Makes a retry safe: the same key with the same request within 24 "
        "hours returns the first response (status and body, with "
        f"`{REPLAYED_HEADER}: true`) and writes nothing new. The same key with "
        "another request is a 409 `idempotency_key_reused`; while the first "
        "request runs, a 409 `idempotency_key_in_progress`. Up to "
        f"{MAX_LENGTH} printable ASCII characters (a UUID is a good key); "
        "keys are per user."
    ),
}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_MEANING = {
    "400": f"Bad input; `fields` names what is wrong (the `{HEADER}` header too).",
    "409": f"Not allowed in the current state, or the `{HEADER}` was used with "
    "another request or its first request is in progress.",
}


def schema_hook(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: the header, and its 400 / 409, on
    every unsafe operation of the API."""
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method.upper() not in UNSAFE_METHODS:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == HEADER for p in parameters):
                parameters.append(dict(_PARAMETER))
            responses = operation.setdefault("responses", {})
            for status, meaning in _MEANING.items():
                responses.setdefault(status, {"content": copy.deepcopy(_ERROR)})
                responses[status]["description"] = meaning
    return result
