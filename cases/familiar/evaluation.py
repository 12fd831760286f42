"""Evaluating familiar-faces rules.

One function decides who matches a rule (``matches``); the incremental path
asks it about one person, the full path about the whole program, and both
hand the answer to the same ``_reconcile``. That is why the two agree.

Window: encounters at or after the same wall-clock time D days earlier in the
program's time zone (so "90 days" means 90 calendar days across DST), up to
and including now.
"""

from __future__ import annotations

import datetime
import functools
import operator
from collections import defaultdict
from dataclasses import dataclass
from typing import TypedDict

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from cases.models import (
    Encounter,
    FamiliarFaceFlag,
    FamiliarFacesMonthEntry,
    FamiliarFacesRule,
    FlagStatus,
    Person,
)
from cases.models.familiar import OPEN_FLAG_STATUSES
from cases.selectors import concern_filter
from navigator.context import endpoint_var, request_id_var, source_var
from navigator.models import AuditAction, AuditEvent, Program, User


class Stats(TypedDict, total=False):
    """What an evaluation did (every key is there after a full run)."""

    raised: int
    updated: int
    cleared: int
    kept_dismissed: int


# Flag ids with their people, as the audit rows below need them.
FlagRef = tuple[int, int]


@dataclass(frozen=True)
class Window:
    start: datetime.datetime
    end: datetime.datetime


def window_for(rule: FamiliarFacesRule, now: datetime.datetime) -> Window:
    tz = rule.program.tz
    wall = timezone.localtime(now, tz).replace(tzinfo=None)
    # Wall-clock arithmetic, then the zone again: the start gets the offset in
    # force on its own day, so the window is D calendar days across DST.
    start = (wall - datetime.timedelta(days=rule.window_days)).replace(tzinfo=tz)
    return Window(start=start, end=now)


def rule_encounters_q(rule: FamiliarFacesRule) -> Q:
    """Encounters that count for this rule (any time)."""
    q = Q(
        program_id=rule.program_id,
        deleted_at__isnull=True,
        person__isnull=False,
        person__deleted_at__isnull=True,
    )
    if rule.sources:
        q &= Q(source__in=rule.sources)
    if rule.dispositions:
        q &= Q(disposition__in=rule.dispositions)
    if rule.concerns:
        q &= functools.reduce(operator.or_, (concern_filter(c) for c in rule.concerns))
    return q


def matches(
    rule: FamiliarFacesRule,
    now: datetime.datetime,
    person_ids: list[int] | None = None,
) -> dict[int, list[int]]:
    """person id → ids of the encounters that make them match (newest first).

    Set-based whatever the number of people: on PostgreSQL one grouped query
    over the window (HAVING count ≥ N) that also collects each person's
    encounter ids (``array_agg``); elsewhere the same count, then the
    encounter ids of the people it found.
    """
    window = window_for(rule, now)
    in_window = Encounter.objects.filter(
        rule_encounters_q(rule),
        started_at__gte=window.start,
        started_at__lte=window.end,
    )
    if person_ids is not None:
        in_window = in_window.filter(person_id__in=person_ids)
    grouped = (
        in_window.order_by()
        .values("person_id")
        .annotate(n=Count("id"))
        .filter(n__gte=rule.min_encounters)
    )
    if connection.vendor == "postgresql":
        return dict(
            grouped.annotate(
                ids=ArrayAgg("id", order_by=("-started_at", "-id"))
            ).values_list("person_id", "ids")
        )
    result: dict[int, list[int]] = defaultdict(list)
    for person_id, encounter_id in (
        in_window.filter(person_id__in=grouped.values_list("person_id", flat=True))
        .order_by("person_id", "-started_at", "-id")
        .values_list("person_id", "id")
    ):
        result[person_id].append(encounter_id)
    return dict(result)


def newest_encounter_at(encounter_ids: list[int]) -> datetime.datetime | None:
    return (
        Encounter.objects.filter(pk__in=encounter_ids)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )


def _audit_flags(
    refs: list[FlagRef],
    *,
    program_id: int,
    action: str,
    changes: dict[str, list[str | None]],
    reason: str = "",
    by: User | None = None,
) -> None:
    """One audit event per flag the evaluation raised or cleared, actor the
    system (``actor=None``, as ``rules_ensure_default``), written in one
    INSERT in the evaluation's transaction: a full run raises thousands of
    flags at once and must stay a few set-based statements
    (docs/performance.md). Every change audited (HIPAA §164.312(b)).

    The rows are built here, not with ``audit_record`` (one INSERT each):
    swap for ``navigator.audit``'s bulk helper once there is one."""
    if not refs:
        return
    request_id, source = request_id_var.get(), source_var.get() or "task"
    endpoint = endpoint_var.get() or "familiar_faces_evaluation"
    object_type = FamiliarFaceFlag._meta.label_lower
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=by,
            action=action,
            object_type=object_type,
            object_id=str(flag_id),
            person_id=person_id,
            program_id=program_id,
            changes=changes,
            reason=reason,
            request_id=request_id,
            source=source,
            endpoint=endpoint,
        )
        for flag_id, person_id in refs
    )


def _reconcile(
    rule: FamiliarFacesRule,
    now: datetime.datetime,
    found: dict[int, list[int]],
    person_ids: list[int] | None,
    run_started: datetime.datetime,
) -> Stats:
    """Make the stored flags of ``rule`` (for ``person_ids``, or everyone) say
    what ``found`` says. Flags touched since ``run_started`` by a newer
    evaluation are left alone (a full run must not undo an incremental one
    that saw a later encounter). Writes are set-based: one UPDATE for the
    unchanged flags, one for the cleared, one INSERT for the new; only flags
    whose encounters changed are updated one by one. A flag raised, cleared
    or closed gets its audit event (``_audit_flags``); a flag whose window or
    encounters moved does not: that is derived data, and the encounters'
    own events account for the change."""
    window = window_for(rule, now)
    open_flags = FamiliarFaceFlag.objects.filter(
        rule=rule, status__in=OPEN_FLAG_STATUSES
    ).only(
        "id",
        "person_id",
        "status",
        "encounter_ids",
        "evaluated_at",
        "dismissed_through",
    )
    if person_ids is not None:
        open_flags = open_flags.filter(person_id__in=person_ids)
    by_person = {f.person_id: f for f in open_flags}
    stats: Stats = {"raised": 0, "updated": 0, "cleared": 0, "kept_dismissed": 0}
    dismissed = [p for p, f in by_person.items() if f.status == FlagStatus.DISMISSED]
    newest_at = _started_at({p: found[p] for p in dismissed if p in found})
    new_flags: list[FamiliarFaceFlag] = []
    closed: list[FlagRef] = []
    unchanged: list[int] = []
    not_newer = FamiliarFaceFlag.objects.filter(evaluated_at__lte=run_started)

    for person_id, encounter_ids in found.items():
        flag = by_person.get(person_id)
        if flag is not None and flag.evaluated_at > run_started:
            continue
        if flag is not None and flag.status == FlagStatus.DISMISSED:
            newest = newest_at[encounter_ids[0]]
            if flag.dismissed_through and newest <= flag.dismissed_through:
                stats["kept_dismissed"] += 1
                continue
            # New contacts since the dismissal: the dismissal is history.
            if _close(flag, FlagStatus.CLOSED, now, CLOSED_REASON):
                closed.append((flag.pk, person_id))
            flag = None
        if flag is None:
            new_flags.append(
                FamiliarFaceFlag(
                    person_id=person_id,
                    rule=rule,
                    program_id=rule.program_id,
                    encounter_count=len(encounter_ids),
                    window_start=window.start,
                    window_end=window.end,
                    encounter_ids=encounter_ids,
                    raised_at=now,
                    evaluated_at=now,
                )
            )
        elif flag.encounter_ids == encounter_ids:
            unchanged.append(flag.pk)
        else:
            stats["updated"] += 1
            not_newer.filter(pk=flag.pk).update(
                encounter_count=len(encounter_ids),
                encounter_ids=encounter_ids,
                window_start=window.start,
                window_end=window.end,
                evaluated_at=now,
            )
    not_newer.filter(pk__in=unchanged).update(
        window_start=window.start, window_end=window.end, evaluated_at=now
    )
    raised: list[FlagRef] = []
    if new_flags:
        FamiliarFaceFlag.objects.bulk_create(new_flags, ignore_conflicts=True)
        # ``ignore_conflicts`` sets no ids: read back the flags this run
        # raised (none other has this rule and ``raised_at``).
        raised = list(
            FamiliarFaceFlag.objects.filter(
                rule=rule, raised_at=now, person_id__in=[f.person_id for f in new_flags]
            ).values_list("pk", "person_id")
        )
    stats["raised"] = len(raised)

    gone = [
        f.pk
        for person_id, f in by_person.items()
        if person_id not in found and f.evaluated_at <= run_started
    ]
    cleared: list[FlagRef] = []
    cleared_reason = (
        f"fewer than {rule.min_encounters} matching encounters "
        f"in {rule.window_days} days"
    )
    if gone:
        # Under the program's lock (``lock_program``) nothing else writes
        # these flags between this read and the UPDATE.
        to_clear = not_newer.filter(pk__in=gone, status__in=OPEN_FLAG_STATUSES)
        cleared = list(to_clear.values_list("pk", "person_id"))
        FamiliarFaceFlag.objects.filter(pk__in=[pk for pk, _ in cleared]).update(
            status=FlagStatus.CLEARED,
            cleared_at=now,
            cleared_reason=cleared_reason,
            evaluated_at=now,
        )
    stats["cleared"] = len(cleared)
    program_id = rule.program_id
    _audit_flags(
        raised,
        program_id=program_id,
        action=AuditAction.CREATE,
        changes={"status": [None, FlagStatus.ACTIVE]},
        reason=f"on the list by the rule {rule.describe()}",
    )
    _audit_flags(
        cleared,
        program_id=program_id,
        action=AuditAction.UPDATE,
        changes={"status": [FlagStatus.ACTIVE, FlagStatus.CLEARED]},
        reason=cleared_reason,
    )
    _audit_flags(
        closed,
        program_id=program_id,
        action=AuditAction.UPDATE,
        changes={"status": [FlagStatus.DISMISSED, FlagStatus.CLOSED]},
        reason=CLOSED_REASON,
    )
    return stats


CLOSED_REASON = "new contacts after the dismissal"


def _started_at(found: dict[int, list[int]]) -> dict[int, datetime.datetime]:
    newest_ids = [ids[0] for ids in found.values() if ids]
    return dict(
        Encounter.objects.filter(pk__in=newest_ids).values_list("id", "started_at")
    )


def _close(
    flag: FamiliarFaceFlag, status: str, now: datetime.datetime, reason: str
) -> bool:
    return bool(
        FamiliarFaceFlag.objects.filter(
            pk=flag.pk, status__in=OPEN_FLAG_STATUSES
        ).update(status=status, cleared_at=now, cleared_reason=reason, evaluated_at=now)
    )


# Namespace of the advisory locks below (any constant unique to this use).
_LOCK_NAMESPACE = 4_240_001


def lock_program(program_id: int) -> None:
    """Serialise everything that writes a program's familiar-faces flags.

    A transaction-scoped advisory lock, taken first in every such
    transaction: evaluations of one program take turns, and since it is
    outside the row locks (flag inserts take key-share locks on the person,
    rule and program rows) there is one lock order and no deadlock. SQLite
    serialises writers by itself.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, program_id]
            )


def active_rules(program_id: int) -> list[FamiliarFacesRule]:
    return list(
        FamiliarFacesRule.objects.filter(program_id=program_id, is_active=True)
        .select_related("program")
        .order_by("id")
    )


def evaluate_person(person_id: int, now: datetime.datetime | None = None) -> Stats:
    """Re-evaluate one person against their program's rules (a few queries
    per rule), under the program's evaluation lock."""
    now = now or timezone.now()
    program_id = (
        Person.objects.filter(pk=person_id).values_list("program_id", flat=True).first()
    )
    if program_id is None:
        return {}
    totals: Stats = {}
    with transaction.atomic():
        lock_program(program_id)
        for rule in active_rules(program_id):
            found = matches(rule, now, person_ids=[person_id])
            _add(totals, _reconcile(rule, now, found, [person_id], now))
    return totals


def _add(totals: Stats, stats: Stats) -> None:
    totals["raised"] = totals.get("raised", 0) + stats.get("raised", 0)
    totals["updated"] = totals.get("updated", 0) + stats.get("updated", 0)
    totals["cleared"] = totals.get("cleared", 0) + stats.get("cleared", 0)
    totals["kept_dismissed"] = totals.get("kept_dismissed", 0) + stats.get(
        "kept_dismissed", 0
    )


def evaluate_program(program: Program, now: datetime.datetime | None = None) -> Stats:
    """Recompute every person of a program, rule by rule, in set-based queries.

    Front doors call ``services.familiar_faces_evaluate_program``, which
    gives a program without rules its default one first."""
    now = now or timezone.now()
    totals: Stats = {}
    with transaction.atomic():
        lock_program(program.pk)
        for rule in active_rules(program.pk):
            found = matches(rule, now)
            _add(totals, _reconcile(rule, now, found, None, now))
        _record_month(program, now)
    return totals


def clear_rule(
    rule: FamiliarFacesRule,
    now: datetime.datetime,
    reason: str,
    *,
    by: User | None = None,
) -> int:
    """Clear every open flag of a rule (it was turned off, ``by`` a manager),
    each with its audit event. The caller holds the program's lock."""
    open_flags = FamiliarFaceFlag.objects.filter(
        rule=rule, status__in=OPEN_FLAG_STATUSES
    )
    refs: list[FlagRef] = []
    for status in (FlagStatus.ACTIVE, FlagStatus.DISMISSED):
        refs_of = list(open_flags.filter(status=status).values_list("pk", "person_id"))
        _audit_flags(
            refs_of,
            program_id=rule.program_id,
            action=AuditAction.UPDATE,
            changes={"status": [status, FlagStatus.CLEARED]},
            reason=reason,
            by=by,
        )
        refs.extend(refs_of)
    return FamiliarFaceFlag.objects.filter(pk__in=[pk for pk, _ in refs]).update(
        status=FlagStatus.CLEARED,
        cleared_at=now,
        cleared_reason=reason,
        evaluated_at=now,
    )


def _record_month(program: Program, now: datetime.datetime) -> None:
    """Keep "who was on the list this month" (first / last seen, highest count).

    One upsert from the program's active flags: a new row for each person and
    rule first seen this month, ``last_seen`` and the highest count for the
    others. (An UPDATE with a correlated subquery per row took 33 s for 10,000
    flags; see docs/performance.md.)
    """
    month = timezone.localtime(now, program.tz).date().replace(day=1)
    entry = FamiliarFacesMonthEntry._meta.db_table
    flag = FamiliarFaceFlag._meta.db_table
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    sql = f"""
        INSERT INTO {entry}
            (program_id, month, person_id, rule_id, first_seen, last_seen, max_count)
        SELECT program_id, %s, person_id, rule_id, %s, %s, encounter_count
        FROM {flag}
        WHERE program_id = %s AND status = %s
        ON CONFLICT (program_id, month, person_id, rule_id) DO UPDATE SET
            last_seen = excluded.last_seen,
            max_count = {greatest}({entry}.max_count, excluded.max_count)
    """  # noqa: S608 (table names from the models, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [month, now, now, program.pk, FlagStatus.ACTIVE])
