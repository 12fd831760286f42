"""What an import says: problems per line, the summary, the problems CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


class ImportFileError(Exception):
    """The file cannot be read as a people CSV; nothing was imported."""


@dataclass(frozen=True)
class Problem:
    line: int
    message: str  # "date_of_birth '13/45/1980' is not YYYY-MM-DD; kept as given"
    field: str = ""
    value: str = ""
    external_id: str = ""
    outcome: str = "kept"  # the row was imported; or "rejected", or "ignored"

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_with_problems: int = 0  # rows imported with at least one problem
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False


REPORT_COLUMNS = ("line", "external_id", "field", "value", "problem", "outcome")


def write_problems_csv(problems: Iterable[Problem], path: str | Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REPORT_COLUMNS)
        for p in problems:
            writer.writerow(
                [
                    p.line,
                    _safe_cell(p.external_id),
                    p.field,
                    _safe_cell(p.value),
                    p.message,
                    p.outcome,
                ]
            )


def _safe_cell(value: str) -> str:
    # The report is opened in spreadsheets: a cell from the input that starts
    # like a formula must not run as one (OWASP "CSV injection").
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
