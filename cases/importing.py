"""Importing people from a CSV file (``manage.py import_people``).

The rules, so that the command only parses arguments and prints:
- Columns as DESIGN.md lists them; a header row is required, every column is
  optional but the file needs a name column. Unknown columns are reported and
  ignored.
- Every row with a name is kept. A value that cannot be stored as it is (a
  date that is not ``YYYY-MM-DD``, an e-mail address that is not one, an
  unknown gender, ...) is kept raw in ``Person.unparsed`` and reported, and
  the rest of the row is imported. A row that would create a person with no
  first, last or preferred name is rejected (reported with its line); so is
  a row for a soft-deleted person, which must be restored first.
- Rows with an ``external_id`` already in the program update that person;
  empty cells leave stored values alone (an import never erases data). A row
  without an ``external_id`` always creates a person.
- The same rules as person_create / person_update: the same fields and
  normalisation, search text, name and date-of-birth rules, model validation,
  and an audit event for every person created or changed (actor: none, the
  source is the command).
- One transaction for the whole file: a failure part way writes nothing.
  A dry run does all the work and rolls it back.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from cases.models import Gender, Person
from cases.models.validators import UNPARSED_VALUE_MAX_LENGTH
from cases.services import PERSON_FIELDS

# Private to the services, but they are the rules, and the import must apply
# the same ones (see the report of this change: they should become public).
from cases.services.people import check_person_rules, refresh_search_text
from navigator.audit import diff, snapshot
from navigator.context import request_id_var, source_var
from navigator.errors import DomainError
from navigator.models import AuditAction, AuditEvent, Program, User
from navigator.progress import Progress

COLUMNS = (
    "external_id",
    "first_name",
    "middle_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "gender",
    "phone",
    "email",
    "street_address",
    "city",
    "state",
    "postal_code",
)
NAME_COLUMNS = ("first_name", "last_name", "preferred_name")
BATCH = 500  # rows per lookup / insert round trip
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHONE = re.compile(r"[0-9+()\-. /]*(?:(?:x|ext\.?)\s*\d+)?", re.IGNORECASE)
# Words people put in a gender column, mapped to HMIS 3.06 values; the HMIS
# values and labels themselves are accepted too.
_GENDER_WORDS = {
    "m": "man",
    "male": "man",
    "boy": "man",
    "f": "woman",
    "female": "woman",
    "girl": "woman",
    "nb": "non_binary",
    "nonbinary": "non_binary",
    "non-binary": "non_binary",
    "non binary": "non_binary",
    "trans": "transgender",
    "two-spirit": "culturally_specific",
    "two spirit": "culturally_specific",
    "unknown": "doesnt_know",
    "refused": "prefers_not",
    "declined": "prefers_not",
}
for _value, _label in Gender.choices:
    _GENDER_WORDS[_value.casefold()] = _value
    _GENDER_WORDS[str(_label).casefold()] = _value
_GENDER_WORDS.update({v.replace("_", " "): v for v in Gender.values})


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


@dataclass
class Row:
    line: int
    values: dict[str, str]  # column -> cell, stripped; only the file's columns
    problems: list[Problem] = field(default_factory=list)  # found reading it


# --------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------


def read_people_csv(path: str | Path) -> tuple[list[Row], list[Problem]]:
    """All rows of the file, or ImportFileError before anything is written.

    UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8").
    """
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file.") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path}: is a directory, not a CSV file.") from None
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path}: not UTF-8 text (byte {exc.start}); is it a CSV file? "
            "Save it as \u201cCSV UTF-8\u201d."
        ) from None
    if "\x00" in text:
        raise ImportFileError(f"{path}: a binary file, not a CSV file.")
    return parse_people_csv(text, name=str(path))


def parse_people_csv(
    text: str, *, name: str = "file"
) -> tuple[list[Row], list[Problem]]:
    # strict: a broken quote is an error, not a field that eats the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader, None)  # blank lines before the header
        if header is None:
            raise ImportFileError(f"{name}: empty file, expected a header row.")
        columns = [_column_name(h) for h in header]
        problems = _check_header(columns, header, name=name)
        rows = []
        while True:
            line = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            if not any(cell.strip() for cell in record):
                continue  # a blank line
            values = {
                column: cell.strip()
                for column, cell in zip(columns, record, strict=False)
                if column in COLUMNS
            }
            row = Row(line, values)
            extra = [c for c in record[len(columns) :] if c.strip()]
            if extra:
                row.problems.append(
                    Problem(
                        line,
                        f"{len(record)} values but {len(columns)} columns; "
                        f"ignored the extra {', '.join(map(repr, extra))}",
                        external_id=values.get("external_id", ""),
                    )
                )
            rows.append(row)
    except csv.Error as exc:
        raise ImportFileError(
            f"{name}, line {reader.line_num}: not valid CSV ({exc})."
        ) from None
    return rows, problems


def _column_name(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().casefold())


def _check_header(columns: list[str], header: list[str], *, name: str) -> list[Problem]:
    known = [c for c in columns if c in COLUMNS]
    if not any(c in NAME_COLUMNS for c in known):
        hint = ""
        if len(header) == 1 and ";" in header[0]:
            hint = " The columns look separated by semicolons; use commas."
        raise ImportFileError(
            f"{name}: not a people CSV: the header row needs a first_name, "
            f"last_name or preferred_name column (columns: {', '.join(COLUMNS)})."
            + hint
        )
    doubled = sorted({c for c in known if known.count(c) > 1})
    if doubled:
        raise ImportFileError(f"{name}: column(s) {', '.join(doubled)} appear twice.")
    return [
        Problem(
            1,
            f"column {original.strip()!r} is not an import column; ignored",
            outcome="ignored",
        )
        for column, original in zip(columns, header, strict=True)
        if column not in COLUMNS and original.strip()
    ]


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


@dataclass
class ParsedRow:
    line: int
    external_id: str
    data: dict[str, Any]  # field -> value to store
    unparsed: dict[str, str]  # field -> raw value kept as given
    resolved: set[str]  # fields given well this time: drop old unparsed values
    problems: list[Problem]


def parse_row(row: Row, *, today: datetime.date) -> ParsedRow:
    """Turn cells into field values; what cannot be stored goes to unparsed."""
    external_id = row.values.get("external_id", "")
    parsed = ParsedRow(row.line, external_id, {}, {}, set(), list(row.problems))

    def keep_raw(column: str, raw: str, why: str) -> None:
        kept = "kept as given"
        if len(raw) > UNPARSED_VALUE_MAX_LENGTH:
            # Person.unparsed is bounded like every free text; the report
            # still carries the whole value.
            kept = f"kept its first {UNPARSED_VALUE_MAX_LENGTH} characters"
        parsed.unparsed[column] = raw[:UNPARSED_VALUE_MAX_LENGTH]
        shown = raw if len(raw) <= 80 else f"{raw[:80]}…"
        parsed.problems.append(
            Problem(
                row.line,
                f"{column} {shown!r} {why}; {kept}",
                field=column,
                value=raw,
                external_id=external_id,
            )
        )

    for column, raw in row.values.items():
        if not raw:
            continue  # an empty cell leaves the stored value alone
        limit = _max_length(column)
        if column == "date_of_birth":
            dob = _parse_date(raw)
            if dob is None:
                keep_raw(column, raw, "is not YYYY-MM-DD")
            elif dob > today:
                keep_raw(column, raw, "is in the future")
            elif dob < datetime.date(1900, 1, 1):
                keep_raw(column, raw, "is before 1900")
            else:
                parsed.data["date_of_birth"] = dob
                parsed.data["dob_precision"] = "exact"
        elif column == "gender":
            genders = _parse_gender(raw)
            if genders is None:
                keep_raw(column, raw, "is not a gender Navigator knows")
            else:
                parsed.data["gender"] = genders
        elif column == "email":
            try:
                validate_email(raw)
            except ValidationError:
                keep_raw(column, raw, "is not an e-mail address")
            else:
                parsed.data["email"] = raw
        elif column == "phone" and (
            not _PHONE.fullmatch(raw) or sum(c.isdigit() for c in raw) < 7
        ):
            keep_raw(column, raw, "is not a phone number")
        elif limit and len(raw) > limit:
            if column in NAME_COLUMNS or column == "middle_name":
                # A name is still a name: store the start, keep all of it.
                parsed.data[column] = raw[:limit].rstrip()
                keep_raw(column, raw, f"is longer than {limit} characters; shortened")
            else:
                keep_raw(column, raw, f"is longer than {limit} characters")
        else:
            parsed.data[column] = raw
        if column not in parsed.unparsed:
            parsed.resolved.add(column)
    return parsed


def _max_length(column: str) -> int | None:
    return getattr(Person._meta.get_field(column), "max_length", None)


def _parse_date(raw: str) -> datetime.date | None:
    if not _ISO_DATE.fullmatch(raw):
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        return None


def _parse_gender(raw: str) -> list[str] | None:
    values: list[str] = []
    for part in re.split(r"[;|,/]", raw):
        word = " ".join(part.split()).casefold()
        if not word:
            continue
        value = _GENDER_WORDS.get(word)
        if value is None:
            return None
        if value not in values:
            values.append(value)
    return values or None


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


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
    with transaction.atomic():
        with progress.phase("import", total=len(rows), unit="rows") as bar:
            for batch in _batches(rows):
                _import_batch(
                    program=program,
                    batch=[parse_row(r, today=today) for r in batch],
                    by=by,
                    reason=f"import_people {source_name}".strip(),
                    report=report,
                )
                bar.update(len(batch))
        if dry_run:
            transaction.set_rollback(True)
    report.rows = len(rows)
    report.problems.sort(key=lambda p: p.line)
    return report


def _batches(rows: list[Row]) -> Iterator[list[Row]]:
    """Batches in which an external_id appears once: a second row for the same
    person must see the first one's result, so it starts a new batch."""
    batch: list[Row] = []
    seen: set[str] = set()
    for row in rows:
        key = row.values.get("external_id", "")
        if len(batch) == BATCH or (key and key in seen):
            yield batch
            batch, seen = [], set()
        batch.append(row)
        if key:
            seen.add(key)
    if batch:
        yield batch


def _import_batch(
    *,
    program: Program,
    batch: list[ParsedRow],
    by: User | None,
    reason: str,
    report: ImportReport,
) -> None:
    keys = [r.external_id for r in batch if r.external_id]
    existing = {
        p.external_id: p
        for p in Person.objects.select_for_update()
        .filter(program=program, external_id__in=keys)
        .prefetch_related("aliases")
    }
    now = timezone.now()
    created: list[tuple[Person, ParsedRow]] = []
    updated: list[tuple[Person, ParsedRow, dict]] = []
    for row in batch:
        person = existing.get(row.external_id) if row.external_id else None
        outcome = _apply(program, person, row, by=by, now=now)
        if outcome is None:
            report.rejected += 1
            report.problems += [replace(p, outcome="rejected") for p in row.problems]
            continue
        report.problems.extend(row.problems)
        if row.problems:
            report.kept_with_problems += 1
        person, changes = outcome
        if person.pk is None:
            created.append((person, row))
        elif changes:
            updated.append((person, row, changes))
        else:
            report.unchanged += 1
    Person.objects.bulk_create([p for p, _ in created])
    if updated:
        Person.objects.bulk_update(
            [p for p, _, _ in updated],
            [*PERSON_FIELDS, "search_text", "search_phonetic", "updated_at"],
        )
    request_id, source = request_id_var.get(), source_var.get() or "command"
    events = [
        AuditEvent(
            actor=by,
            action=AuditAction.CREATE,
            object_type=Person._meta.label_lower,
            object_id=str(person.pk),
            person_id=person.pk,
            program=program,
            changes={
                k: [None, v]
                for k, v in snapshot(person, PERSON_FIELDS).items()
                if v not in ("", None, [], {}, False)
            },
            reason=f"{reason} line {row.line}",
            request_id=request_id,
            source=source,
        )
        for person, row in created
    ]
    events += [
        AuditEvent(
            actor=by,
            action=AuditAction.UPDATE,
            object_type=Person._meta.label_lower,
            object_id=str(person.pk),
            person_id=person.pk,
            program=program,
            changes=changes,
            reason=f"{reason} line {row.line}",
            request_id=request_id,
            source=source,
        )
        for person, row, changes in updated
    ]
    AuditEvent.objects.bulk_create(events)
    report.created += len(created)
    report.updated += len(updated)


def _apply(
    program: Program,
    person: Person | None,
    row: ParsedRow,
    *,
    by: User | None,
    now: datetime.datetime,
) -> tuple[Person, dict] | None:
    """The row applied to a new or existing person; None if rejected."""
    if person is not None and person.is_deleted:
        _reject(
            row,
            f"external_id {row.external_id!r} is a deleted record; restore it first",
        )
        return None
    if person is None:
        if not any(row.data.get(c) for c in NAME_COLUMNS):
            _reject(row, "no first_name, last_name or preferred_name; row not imported")
            return None
        person = Person(program=program, created_by=by, created_at=now)
        before: dict[str, Any] = {}
        aliases: list[str] = []
    else:
        before = snapshot(person, PERSON_FIELDS)
        aliases = sorted(a.name for a in person.aliases.all())
    for name, value in row.data.items():
        setattr(person, name, value)
    unparsed = dict(person.unparsed or {})
    for column in row.resolved:
        unparsed.pop(column, None)
    unparsed.update(row.unparsed)
    person.unparsed = unparsed
    refresh_search_text(person, aliases)
    try:
        # The model's field validation, then the services' rules on the typed
        # values (date of birth, SMS consent), in the services' order; what
        # the parser let through still has to pass both.
        person.clean_fields(exclude=["program", "created_by", "deleted_by"])
        check_person_rules(person)
    except (DomainError, ValidationError) as exc:
        _reject(row, f"not imported: {_message(exc)}")
        return None
    person.updated_at = now
    if before:
        return person, diff(before, snapshot(person, PERSON_FIELDS))
    return person, {}


def _reject(row: ParsedRow, message: str) -> None:
    row.problems.append(
        Problem(row.line, message, external_id=row.external_id, outcome="rejected")
    )


def _message(exc: DomainError | ValidationError) -> str:
    if isinstance(exc, DomainError):
        return exc.detail
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())


# --------------------------------------------------------------------------
# The problems report
# --------------------------------------------------------------------------

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
