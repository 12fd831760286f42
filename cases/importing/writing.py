"""Writing an import: parsed rows through the people bulk write path
(cases.services.people_bulk), the outcome of each row into the report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import cast

from django.db import transaction
from django.utils import timezone

from cases.importing.reading import ParsedRow, Row, parse_row
from cases.importing.report import ImportReport, Problem
from cases.services.inputs import PersonData
from cases.services.people_bulk import PersonRow, people_upsert_bulk
from navigator.models import Program, User
from navigator.progress import Progress


def people_import(
    *,
    program: Program,
    rows: list[Row],
    problems: Iterable[Problem] = (),
    by: User | None = None,
    dry_run: bool = False,
    source_name: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Create or update the program's people from parsed CSV rows."""
    report = ImportReport(dry_run=dry_run, problems=list(problems))
    progress = progress or Progress(enabled=False)
    today = timezone.localdate()
    reason = f"import_people {source_name}".strip()
    parsed = [parse_row(r, today=today) for r in rows]
    with transaction.atomic():
        with progress.phase("import", total=len(rows), unit="rows") as bar:
            results = people_upsert_bulk(
                program=program,
                rows=[_person_row(p, reason) for p in parsed],
                by=by,
                on_batch=bar.update,
            )
        if dry_run:
            transaction.set_rollback(True)
    for row, result in zip(parsed, results, strict=True):
        if result.outcome == "rejected":
            report.rejected += 1
            report.problems += [replace(p, outcome="rejected") for p in row.problems]
            report.problems.append(
                Problem(
                    row.line,
                    result.message,
                    external_id=row.external_id,
                    outcome="rejected",
                )
            )
            continue
        report.problems.extend(row.problems)
        if row.problems:
            report.kept_with_problems += 1
        if result.outcome == "created":
            report.created += 1
        elif result.outcome == "updated":
            report.updated += 1
        else:
            report.unchanged += 1
    report.rows = len(rows)
    report.problems.sort(key=lambda p: p.line)
    return report


def _person_row(row: ParsedRow, reason: str) -> PersonRow:
    data = cast(PersonData, {k: v for k, v in row.data.items() if k != "external_id"})
    return PersonRow(
        ref=row.line,
        external_id=row.external_id,
        data=data,
        unparsed=row.unparsed,
        resolved=frozenset(row.resolved),
        reason=f"{reason} line {row.line}",
    )
