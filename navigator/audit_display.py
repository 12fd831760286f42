"""The audit log in people's words: what kind of record, which field (its
label), who (names, not ids), which choice (its label), and when (in the
program's time zone, to the minute). Issue 8: "Updated followups.followup#4,
completed_by_id: — → 1" is written for developers.

Rows are plain data; the templates and the CSV export render them (no HTML
here). Names behind ids are loaded in one query per kind of record named on
the page, never one per row.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import dateformat, timezone
from django.utils.text import capfirst

from navigator import disclosure
from navigator.models import AuditAction, AuditEvent, User
from navigator.selectors import AuditTrailFilters

# How a moment is shown: to the minute ("1 Dec 2026, 09:14"), Django's format.
MINUTE_FORMAT = "j M Y, H:i"
DATE_FORMAT = "j M Y"
EMPTY = "—"
SYSTEM = "system"

# Records named by their name instead of "Kind #id". Their str() reads no
# other row; others (an encounter's names its person) would cost a query per
# row, so they are shown as their kind and id. Labels, not imports: the
# platform imports no feature (DESIGN.md, "Architecture").
NAMED_MODELS = {settings.AUTH_USER_MODEL.lower(), "navigator.program", "cases.person"}

_ACTIONS = dict(AuditAction.choices)


@dataclass(frozen=True)
class Change:
    """One field of one event: its label and the old and new values, as text."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class AuditRow:
    """One audit event, for people."""

    id: int
    at: datetime.datetime
    when: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    kind: str
    actor_id: int | None
    actor: str
    source: str
    endpoint: str
    request_id: str
    reason: str
    changes: list[Change] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)

    @property
    def is_listed(self) -> bool:
        return self.action == AuditAction.LIST


@dataclass
class TrailEntry:
    """An event of a trail, or a run of LIST events folded into one."""

    row: AuditRow | None = None
    listed: list[AuditRow] = field(default_factory=list)


def local_minute(moment: datetime.datetime, tz: zoneinfo.ZoneInfo) -> str:
    return dateformat.format(timezone.localtime(moment, tz), MINUTE_FORMAT)


def person_name(user: User | None) -> str:
    if user is None:
        return SYSTEM
    return user.get_full_name() or user.get_username()


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _fields(model: type[models.Model] | None) -> dict[str, models.Field]:
    if model is None:
        return {}
    found: dict[str, models.Field] = {}
    for f in model._meta.concrete_fields:
        found[f.name] = f
        found[f.attname] = f
    return found


def _kind(model: type[models.Model] | None, object_type: str) -> str:
    if model is None:
        return object_type
    return capfirst(str(model._meta.verbose_name))


def _label(name: str, f: models.Field | None) -> str:
    if f is None:
        return capfirst(name.replace("_", " "))
    return capfirst(str(f.verbose_name))


class _Names:
    """The names behind the ids that a batch of events mentions, loaded in
    one query per kind of record."""

    def __init__(self, events: Sequence[AuditEvent]) -> None:
        wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        for event in events:
            fields = _fields(_model(event.object_type))
            for name, pair in _pairs(event):
                related = _related(fields.get(name))
                if related is None or related._meta.label_lower not in NAMED_MODELS:
                    continue
                wanted[related].update(v for v in pair if v not in (None, ""))
        self._names: dict[tuple[type[models.Model], str], str] = {}
        for related, ids in wanted.items():
            # Soft-deleted people keep their names in their trail.
            for obj in related._base_manager.filter(pk__in=ids):
                name = (
                    person_name(cast(User, obj))
                    if related._meta.label_lower == settings.AUTH_USER_MODEL.lower()
                    else str(obj)
                )
                self._names[(related, str(obj.pk))] = name

    def get(self, related: type[models.Model], value: Any) -> str | None:
        return self._names.get((related, str(value)))


def _related(f: models.Field | None) -> type[models.Model] | None:
    """The model a foreign key points at (resolved once the apps are ready)."""
    if f is None or not f.is_relation:
        return None
    related = f.related_model
    return related if isinstance(related, type) else None


def _pairs(event: AuditEvent) -> Iterable[tuple[str, tuple[Any, Any]]]:
    changes = event.changes if isinstance(event.changes, dict) else {}
    for name, value in changes.items():
        if isinstance(value, list | tuple) and len(value) == 2:
            yield name, (value[0], value[1])
        else:
            # A note rather than a before / after (e.g. which factor).
            yield name, (None, value)


def _text(
    value: Any, f: models.Field | None, names: _Names, tz: zoneinfo.ZoneInfo
) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    related = _related(f)
    if related is not None:
        name = names.get(related, value)
        if name is not None:
            return name
        return f"{capfirst(str(related._meta.verbose_name))} #{value}"
    if f is not None:
        if f.flatchoices:
            choices = {str(k): str(v) for k, v in f.flatchoices}
            if isinstance(value, list):
                return ", ".join(choices.get(str(v), str(v)) for v in value)
            return choices.get(str(value), str(value))
        if isinstance(f, models.DateTimeField) and isinstance(value, str):
            try:
                moment = datetime.datetime.fromisoformat(value)
            except ValueError:
                return value
            if timezone.is_naive(moment):
                moment = moment.replace(tzinfo=datetime.UTC)
            return local_minute(moment, tz)
        if isinstance(f, models.DateField) and isinstance(value, str):
            try:
                return dateformat.format(
                    datetime.date.fromisoformat(value), DATE_FORMAT
                )
            except ValueError:
                return value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or EMPTY
    return str(value)


def audit_rows(
    events: Sequence[AuditEvent], *, tz: zoneinfo.ZoneInfo
) -> list[AuditRow]:
    """``events`` (their actors selected with them) as rows, times in ``tz``."""
    names = _Names(events)
    rows = []
    for event in events:
        model = _model(event.object_type)
        fields = _fields(model)
        changes = [
            Change(
                field=_label(name, fields.get(name)),
                old=_text(old, fields.get(name), names, tz),
                new=_text(new, fields.get(name), names, tz),
            )
            for name, (old, new) in _pairs(event)
        ]
        rows.append(
            AuditRow(
                id=event.pk,
                at=timezone.localtime(event.at, tz),
                when=local_minute(event.at, tz),
                action=event.action,
                action_label=_ACTIONS.get(event.action, event.action),
                object_type=event.object_type,
                object_id=event.object_id,
                kind=_kind(model, event.object_type),
                actor_id=event.actor_id,
                actor=person_name(event.actor),
                source=event.source,
                endpoint=event.endpoint,
                request_id=event.request_id,
                reason=event.reason,
                changes=changes,
                shown=[
                    disclosure.KINDS.get(kind, kind) for kind in (event.disclosed or {})
                ],
            )
        )
    return rows


def trail_entries(rows: Iterable[AuditRow]) -> list[TrailEntry]:
    """Each run of LIST events (the person shown in lists, searches,
    exports) folded into one entry, so the views and changes stay readable."""
    entries: list[TrailEntry] = []
    for row in rows:
        if row.is_listed:
            if entries and entries[-1].listed:
                entries[-1].listed.append(row)
            else:
                entries.append(TrailEntry(listed=[row]))
        else:
            entries.append(TrailEntry(row=row))
    return entries


CSV_HEADER = [
    "time",
    "event",
    "record",
    "record id",
    "by",
    "source",
    "door",
    "changes",
    "reason",
    "shown",
]


def csv_values(row: AuditRow) -> list[str]:
    """One row of the trail's CSV export (cells not yet escaped)."""
    return [
        row.when,
        row.action_label,
        row.kind,
        row.object_id,
        row.actor,
        row.source,
        row.endpoint,
        "; ".join(f"{c.field}: {c.old} → {c.new}" for c in row.changes),
        row.reason,
        "; ".join(row.shown),
    ]


ANY_ACTOR = ""
BY_SYSTEM = "system"


class AuditTrailFilterForm(forms.Form):
    """Filter a trail by kind of event and by who (the query string)."""

    action = forms.ChoiceField(
        label="Event",
        required=False,
        choices=[("", "Any event"), *AuditAction.choices],
    )
    actor = forms.ChoiceField(label="By", required=False)

    def __init__(self, data: Any, *, actors: Sequence[User]) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["actor"]).choices = [
            (ANY_ACTOR, "Anyone"),
            (BY_SYSTEM, "The system"),
            *((str(user.pk), person_name(user)) for user in actors),
        ]

    def filters(self) -> AuditTrailFilters:
        """What the form asks for; nothing filtered while it has errors."""
        if not self.is_valid():
            return AuditTrailFilters()
        actor = self.cleaned_data["actor"]
        return AuditTrailFilters(
            action=self.cleaned_data["action"],
            by_system=actor == BY_SYSTEM,
            actor_id=int(actor) if actor not in (ANY_ACTOR, BY_SYSTEM) else None,
        )

    def query(self) -> str:
        """The filters as a query string (for the export link and pages)."""
        if not self.is_valid():
            return ""
        return urlencode({k: v for k, v in self.cleaned_data.items() if v})
