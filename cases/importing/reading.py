"""Reading a people CSV: the file, its header and rows, and each cell's value.

Nothing here writes; what cannot be stored as given is kept raw and reported
(cases.importing.report.Problem).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from cases.importing.report import ImportFileError, Problem
from cases.models import Gender, Person
from cases.models.validators import UNPARSED_VALUE_MAX_LENGTH

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


@dataclass
class Row:
    line: int
    values: dict[str, str]  # column -> cell, stripped; only the file's columns
    problems: list[Problem] = field(default_factory=list)  # found reading it


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
                # Exact: the person service reads a date given without a
                # precision so (cases.services.people).
                parsed.data["date_of_birth"] = dob
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
