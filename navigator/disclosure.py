"""Auditing what a response discloses of people's records.

Every page, API response or export that shows a person's record, or part of
it, writes one audit event per person per request (HIPAA §164.312(b) audit
controls; §164.528 accounting of disclosures): VIEW when the record, or a
part of it, was opened; LIST when the person was shown among others (a list,
a search, a picker, an export). The event says which parts went out
(``AuditEvent.disclosed``: ``{kind: [object ids]}``, kinds in ``KINDS``) and
through which door (``source`` and ``endpoint``, the URL name).

Front doors note what they render with ``people_shown``, ``records_shown``
or ``note``. During a request the notes collect in a request-scoped
``Recorder`` (a context variable) and ``DisclosureAuditMiddleware`` writes
them in one bulk insert once the view has returned its response: a list of
100 people costs one INSERT, not 100. A view that raised instead (a 404, a
403, an API 400, a 500) disclosed nothing, so its notes are dropped. A
person the request already wrote an audit event for (an update answered
with the record) gets no second event. Outside a request (commands, tasks, a
service called directly) a note is written at once, or at the end of a
``recording()`` block.
"""

from __future__ import annotations

import contextvars
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router

from navigator.context import endpoint_var, request_id_var, source_var
from navigator.models import AuditAction, AuditEvent, User

# What a response can disclose of a person's record. For the person kinds
# the object id is the person's.
PERSON = "person"
PERSON_SUMMARY = "person.summary"
PERSON_NAME = "person.name"
PERSON_SAFETY_PLAN = "person.safety_plan"
FAMILY_CONTACT = "family_contact"
ENCOUNTER = "encounter"
ENCOUNTER_SUMMARY = "encounter.summary"
ENCOUNTER_COUNTS = "encounter.counts"
FOLLOWUP = "followup"
FAMILIAR_FACES = "familiar_faces"
FAMILIAR_FACES_MONTH = "familiar_faces.month"
ENROLLMENT = "enrollment"
AUDIT_TRAIL = "audit_trail"
TIMELINE = "timeline"
DELIVERY = "delivery"
REFERRAL = "referral"
REFERRAL_SUMMARY = "referral.summary"
REFERRAL_ATTACHMENT = "referral.attachment"
CONSENT = "consent"
CONSENT_FORM = "consent.form"

KINDS = {
    PERSON: "the record (identity, contact details, safety and location notes)",
    PERSON_SUMMARY: "name, aliases, age / date of birth, housing",
    PERSON_NAME: "name",
    PERSON_SAFETY_PLAN: "safety / response plan",
    FAMILY_CONTACT: "family / caregiver contacts",
    ENCOUNTER: "encounters, with their narrative",
    ENCOUNTER_SUMMARY: "encounters (when, where, concerns, disposition)",
    ENCOUNTER_COUNTS: "encounters per month",
    FOLLOWUP: "follow-ups (when, how, with whom and their number, purpose, "
    "notes, outcome)",
    FAMILIAR_FACES: "familiar-faces flags and why (contacts, concerns, dispositions)",
    FAMILIAR_FACES_MONTH: "on the familiar-faces list in a month",
    ENROLLMENT: "intensive follow-up enrollment (navigator, plan, contacts)",
    AUDIT_TRAIL: "the record's audit trail (old and new values)",
    TIMELINE: "other entries of the person's timeline",
    DELIVERY: "reminders to the person (masked address)",
    REFERRAL: "referrals, with the need, notes and status history",
    REFERRAL_SUMMARY: "referrals (agency, service, status, urgency, dates)",
    REFERRAL_ATTACHMENT: "a referral's attached document",
    CONSENT: "consents / releases of information",
    CONSENT_FORM: "a consent's scanned form",
}

# Every disclosure event is about a person: its object is the person's row
# (the label of cases.Person; navigator imports no other app).
PERSON_OBJECT_TYPE = "cases.person"

# Events per INSERT statement: a page of any list is one statement; only a
# long export takes several.
FLUSH_BATCH = 1000


@dataclass
class _Seen:
    actor: User | None
    person_id: int
    program_id: int
    opened: bool = False
    parts: dict[str, set[int]] = field(default_factory=dict)


class Recorder:
    """What one request (or one ``recording()`` block) disclosed, per person."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int | None, int], _Seen] = {}
        self._written: dict[int, list[int]] = {}

    def note(
        self,
        *,
        by: User | None,
        person_id: int,
        program_id: int,
        kind: str,
        object_id: int | None,
        listed: bool,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"Unknown disclosure kind {kind!r}.")
        actor = by if by is not None and by.is_authenticated else None
        key = (actor.pk if actor else None, person_id)
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = _Seen(actor, person_id, program_id)
        seen.opened = seen.opened or not listed
        ids = seen.parts.setdefault(kind, set())
        if object_id is not None:
            ids.add(object_id)

    def written(self, event: AuditEvent) -> None:
        """A write's own event: it accounts for the person in this request."""
        if event.person_id is not None:
            self._written.setdefault(event.person_id, []).append(event.pk)

    def discard(self) -> None:
        self._seen = {}

    def flush(self) -> list[AuditEvent]:
        seen, self._seen = list(self._seen.values()), {}
        if not seen:
            return []
        covered = self._covered_by_writes({s.person_id for s in seen})
        events = [_event(s) for s in seen if s.person_id not in covered]
        if events:
            with _whole_batches_on_sqlite():
                AuditEvent.objects.bulk_create(events, batch_size=FLUSH_BATCH)
        return events

    def _covered_by_writes(self, person_ids: set[int]) -> set[int]:
        ids = [pk for p in person_ids for pk in self._written.get(p, ())]
        if not ids:
            return set()
        # Asked of the database: a write whose transaction rolled back (the
        # page then showed its form again, with the record) covers nothing.
        events = AuditEvent.objects.filter(pk__in=ids)
        return {p for p in events.values_list("person_id", flat=True) if p is not None}


def _event(seen: _Seen) -> AuditEvent:
    return AuditEvent(
        actor=seen.actor,
        action=AuditAction.VIEW if seen.opened else AuditAction.LIST,
        object_type=PERSON_OBJECT_TYPE,
        object_id=str(seen.person_id),
        person_id=seen.person_id,
        program_id=seen.program_id,
        disclosed={kind: sorted(seen.parts[kind]) for kind in sorted(seen.parts)},
        request_id=request_id_var.get(),
        source=source_var.get() or "command",
        endpoint=endpoint_var.get(),
    )


@contextmanager
def _whole_batches_on_sqlite() -> Iterator[None]:
    """Django caps an SQLite statement at 999 variables, the library's limit
    before SQLite 3.32 (2020): 76 audit rows, so a page of 100 people would
    take two INSERTs. Use the limit of the library actually loaded."""
    conn = connections[router.db_for_write(AuditEvent)]
    if conn.vendor != "sqlite":
        yield
        return
    conn.ensure_connection()
    limit = conn.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    features = conn.features
    if limit <= features.max_query_params:
        yield
        return
    own = vars(features).get("max_query_params")
    features.max_query_params = limit  # on this connection only
    try:
        yield
    finally:
        if own is None:
            del features.max_query_params
        else:
            features.max_query_params = own


_current: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "disclosure_recorder", default=None
)


@contextmanager
def recording() -> Iterator[Recorder]:
    """Collect the notes of a block (a command, a task) into one insert at
    its end; a block that raises writes nothing, as a failed request."""
    recorder = Recorder()
    token = _current.set(recorder)
    try:
        yield recorder
    finally:
        _current.reset(token)
    recorder.flush()


def note(
    *,
    by: User | None,
    person_id: int,
    program_id: int,
    kind: str,
    object_id: int | None = None,
    listed: bool = False,
) -> None:
    """One part of one person's record went out (``object_id``: which row;
    for the person kinds, the person; None: no row in particular, as an
    empty list of their contacts)."""
    with batch() as recorder:
        recorder.note(
            by=by,
            person_id=person_id,
            program_id=program_id,
            kind=kind,
            object_id=object_id,
            listed=listed,
        )


def people_shown(
    *, by: User | None, people: Iterable[Any], kind: str, listed: bool = True
) -> None:
    """People (rows with ``pk`` and ``program_id``) of whom ``kind`` went out."""
    with batch() as recorder:
        for person in people:
            recorder.note(
                by=by,
                person_id=person.pk,
                program_id=person.program_id,
                kind=kind,
                object_id=person.pk,
                listed=listed,
            )


def safety_plan_shown(*, by: User | None, person: Any) -> None:
    """A person's safety / response plan went out beside a form (the
    encounter form, a follow-up): part of the record, opened (VIEW). A
    person (``pk``, ``program_id``, ``safety_notes``) without a plan
    disclosed nothing more."""
    if not person.safety_notes:
        return
    note(
        by=by,
        person_id=person.pk,
        program_id=person.program_id,
        kind=PERSON_SAFETY_PLAN,
        object_id=person.pk,
    )


def records_shown(
    *,
    by: User | None,
    records: Iterable[Any],
    kind: str,
    listed: bool = True,
    named: bool = False,
    program_id: int | None = None,
) -> None:
    """Rows of people's records (``pk``, ``person_id``, ``program_id``:
    encounters, follow-ups, flags, enrollments) that went out; ``named``:
    with the person's name. A row with no person (an unidentified
    encounter) is nobody's record. ``program_id`` for rows that do not
    carry it (one person's family contacts)."""
    with batch() as recorder:
        for record in records:
            if record.person_id is None:
                continue
            where = program_id if program_id is not None else record.program_id
            parts = [(kind, record.pk)]
            if named:
                parts.append((PERSON_NAME, record.person_id))
            for what, object_id in parts:
                recorder.note(
                    by=by,
                    person_id=record.person_id,
                    program_id=where,
                    kind=what,
                    object_id=object_id,
                    listed=listed,
                )


def record_opened(
    *, by: User | None, record: Any, kind: str, program_id: int | None = None
) -> None:
    """One row of a person's record (an encounter, a follow-up, a flag, a
    contact) was opened, with the person's name."""
    records_shown(
        by=by,
        records=[record],
        kind=kind,
        listed=False,
        named=True,
        program_id=program_id,
    )


@contextmanager
def batch() -> Iterator[Recorder]:
    """The request's recorder, or (outside one) a recording of this block:
    notes made through it are one insert either way."""
    recorder = _current.get()
    if recorder is not None:
        yield recorder
        return
    with recording() as recorder:
        yield recorder


def written(event: AuditEvent) -> None:
    """Called by ``audit_record`` for every event it writes."""
    recorder = _current.get()
    if recorder is not None:
        recorder.written(event)


class DisclosureAuditMiddleware:
    """Writes a request's disclosures once its view has answered.

    Sits right inside ``RequestIdMiddleware`` (whose request id and source
    the events carry). The view's URL name becomes every audit event's
    ``endpoint``, writes included.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        recorder = Recorder()
        token = _current.set(recorder)
        endpoint = endpoint_var.set("")
        try:
            response = self.get_response(request)
            # DRF turns an exception into a response and marks it; a page's
            # exception was seen by process_exception. Either way what went
            # out is an error, not the record the view had noted.
            if not getattr(response, "exception", False) and (
                response.status_code < 500
            ):
                recorder.flush()
        finally:
            _current.reset(token)
            endpoint_var.reset(endpoint)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        endpoint_var.set(match.view_name if match is not None else "")

    def process_exception(self, request, exception):
        recorder = _current.get()
        if recorder is not None:
            recorder.discard()
