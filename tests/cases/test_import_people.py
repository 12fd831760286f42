"""import_people: keeps every row with a name, reports problems per line,
updates on external_id, audits each person, refuses files that are not CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cases.models import Person
from cases.services import people_bulk
from navigator.models import AuditEvent
from tests.factories import PersonFactory, ProgramFactory

HEADER = (
    "external_id,first_name,middle_name,last_name,preferred_name,date_of_birth,"
    "gender,phone,email,street_address,city,state,postal_code\n"
)
GOOD = (
    HEADER + "H-1,José,,Núñez,,1980-02-03,M,(805) 555-0100,jose@example.com,"
    "12 Grand Ave,Grover Beach,CA,93433\n"
    + "H-2,Zoë,Anne,Ashford,Zo,1975-11-30,woman,,,,,,\n"
    + "H-3,,,Smith,,,,,,,,,\n"
)


@pytest.fixture
def program(db):
    return ProgramFactory(slug="five-cities")


def write(tmp_path: Path, text: str, name: str = "people.csv", bom: bool = False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def run(path: Path, *args: str, program: str = "five-cities") -> str:
    out = io.StringIO()
    call_command(
        "import_people",
        str(path),
        "--program",
        program,
        *args,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def summary(out: str) -> str:
    return out.strip().splitlines()[-1]


def test_creates_people(program, tmp_path):
    out = run(write(tmp_path, GOOD))
    assert summary(out).startswith(
        "import_people: 3 created, 0 updated, 0 unchanged, 0 kept with problems, "
        "0 rejected in "
    )
    jose = Person.objects.get(program=program, external_id="H-1")
    assert (jose.first_name, jose.last_name) == ("José", "Núñez")
    assert str(jose.date_of_birth) == "1980-02-03"
    assert jose.dob_precision == "exact"
    assert jose.gender == ["man"]
    assert (jose.city, jose.state, jose.postal_code) == ("Grover Beach", "CA", "93433")
    assert jose.search_text == "jose | nunez | jose nunez"
    assert jose.search_phonetic == " J200 N520 "
    assert jose.unparsed == {}
    zoe = Person.objects.get(external_id="H-2")
    assert (zoe.middle_name, zoe.preferred_name, zoe.gender) == (
        "Anne",
        "Zo",
        ["woman"],
    )
    assert Person.objects.get(external_id="H-3").first_name == ""


def test_reimport_is_idempotent(program, tmp_path):
    path = write(tmp_path, GOOD)
    run(path)
    out = run(path)
    assert "0 created, 0 updated, 3 unchanged" in summary(out)
    assert Person.objects.filter(program=program).count() == 3
    assert AuditEvent.objects.filter(object_type="cases.person").count() == 3


def test_same_external_id_updates_and_empty_cells_keep_values(program, tmp_path):
    run(write(tmp_path, GOOD))
    changed = HEADER + "H-1,José,,Núñez-Ortiz,,,,(805) 555-0199,,,,,\n"
    out = run(write(tmp_path, changed, "changed.csv"))
    assert "0 created, 1 updated, 0 unchanged" in summary(out)
    jose = Person.objects.get(external_id="H-1")
    assert jose.last_name == "Núñez-Ortiz"
    assert jose.phone == "(805) 555-0199"
    assert jose.email == "jose@example.com"  # the empty cell erased nothing
    assert str(jose.date_of_birth) == "1980-02-03"
    assert "nunez ortiz" in jose.search_text
    # nunez-ortiz: nunez N520, ortiz O632, nunezortiz N526.
    assert jose.search_phonetic == " J200 N520 O632 N526 "
    event = AuditEvent.objects.filter(object_id=str(jose.pk), action="update").get()
    assert event.changes == {
        "last_name": ["Núñez", "Núñez-Ortiz"],
        "phone": ["(805) 555-0100", "(805) 555-0199"],
    }


def test_external_id_of_another_program_is_another_person(program, tmp_path):
    other = ProgramFactory(slug="elsewhere")
    PersonFactory(program=other, external_id="H-1", first_name="Not", last_name="Me")
    run(write(tmp_path, GOOD))
    assert Person.objects.filter(external_id="H-1").count() == 2
    assert Person.objects.get(program=other).first_name == "Not"


def test_bad_date_is_kept_raw_and_reported(program, tmp_path):
    text = HEADER + "H-9,Ana,,López,,13/45/1980,,,,,,,\n"
    out = run(write(tmp_path, text))
    assert "line 2: date_of_birth '13/45/1980' is not YYYY-MM-DD; kept as given" in out
    assert "1 created, 0 updated, 0 unchanged, 1 kept with problems, 0 rejected" in out
    ana = Person.objects.get(external_id="H-9")
    assert ana.date_of_birth is None
    assert ana.unparsed == {"date_of_birth": "13/45/1980"}


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("email", "bob@", "is not an e-mail address"),
        ("gender", "martian", "is not a gender Navigator knows"),
        ("date_of_birth", "2999-01-01", "is in the future"),
        ("date_of_birth", "1850-01-01", "is before 1900"),
        ("date_of_birth", "1980-02-30", "is not YYYY-MM-DD"),
        ("phone", "call me", "is not a phone number"),
        ("postal_code", "9" * 30, "is longer than 20 characters"),
    ],
)
def test_bad_values_are_kept_as_given(program, tmp_path, column, value, message):
    text = f"first_name,last_name,{column}\nAna,López,{value}\n"
    out = run(write(tmp_path, text))
    assert f"line 2: {column} {value!r} {message}; kept as given" in out
    ana = Person.objects.get(first_name="Ana")
    assert ana.unparsed == {column: value}


def test_a_fixed_value_clears_the_kept_one(program, tmp_path):
    run(write(tmp_path, HEADER + "H-9,Ana,,López,,13/45/1980,,,bob@,,,,\n"))
    run(write(tmp_path, HEADER + "H-9,Ana,,López,,1980-05-13,,,,,,,\n", "fix.csv"))
    ana = Person.objects.get(external_id="H-9")
    assert str(ana.date_of_birth) == "1980-05-13"
    assert ana.unparsed == {"email": "bob@"}


def test_row_without_a_name_is_rejected_with_its_line(program, tmp_path):
    text = HEADER + "H-1,José,,Núñez,,,,,,,,,\nH-2,,Maria,,,1990-01-01,,,,,,,\n"
    out = run(write(tmp_path, text))
    assert "line 3: no first_name, last_name or preferred_name; row not imported" in out
    assert "1 created, 0 updated, 0 unchanged, 0 kept with problems, 1 rejected" in out
    assert not Person.objects.filter(external_id="H-2").exists()


def test_line_numbers_count_blank_and_multiline_rows(program, tmp_path):
    text = 'first_name,last_name,email\n\nAna,"López\nRuiz",x@\n\nBo,Li,y@\n'
    out = run(write(tmp_path, text))
    assert "line 3: email 'x@'" in out
    assert "line 6: email 'y@'" in out


def test_utf8_with_bom(program, tmp_path):
    out = run(write(tmp_path, GOOD, bom=True))
    assert "3 created" in summary(out)
    assert Person.objects.filter(external_id="H-1").exists()


def test_headers_are_forgiving_and_unknown_columns_reported(program, tmp_path):
    text = "First Name,Last-Name,Favourite colour\nAna,López,blue\n"
    out = run(write(tmp_path, text))
    assert "line 1: column 'Favourite colour' is not an import column; ignored" in out
    assert Person.objects.get().last_name == "López"


def test_every_change_is_audited(program, tmp_path):
    run(write(tmp_path, GOOD))
    events = AuditEvent.objects.filter(object_type="cases.person", action="create")
    people = Person.objects.filter(program=program)
    assert sorted(int(e.object_id) for e in events) == sorted(p.pk for p in people)
    event = events.get(object_id=str(people.get(external_id="H-1").pk))
    assert event.actor is None
    assert event.source == "command"
    assert event.program_id == program.pk
    assert event.person_id == int(event.object_id)
    assert event.changes["first_name"] == [None, "José"]
    assert event.reason.endswith("line 2")


def test_dry_run_writes_nothing(program, tmp_path):
    out = run(write(tmp_path, GOOD), "--dry-run")
    assert "3 created" in summary(out)
    assert summary(out).endswith("(dry run: nothing written)")
    assert not Person.objects.exists()
    assert not AuditEvent.objects.exists()


def test_report_file(program, tmp_path):
    text = (
        HEADER
        + "H-9,Ana,,López,,13/45/1980,,,=HYPERLINK(1),,,,\n"
        + ",,Maria,,,,,,,,,,\n"
        + ",,,,,,,,,,,,\n"  # empty cells only: a blank line, as Excel writes them
    )
    report = tmp_path / "problems.csv"
    run(write(tmp_path, text), "--report", str(report))
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [(r["line"], r["field"], r["outcome"]) for r in rows] == [
        ("2", "date_of_birth", "kept"),
        ("2", "email", "kept"),
        ("3", "", "rejected"),
    ]
    assert rows[1]["value"] == "'=HYPERLINK(1)"  # no formula in a spreadsheet


def test_deleted_person_is_not_silently_changed(program, tmp_path):
    person = PersonFactory(program=program, external_id="H-1", first_name="Old")
    Person.objects.filter(pk=person.pk).update(
        deleted_reason="dup", deleted_at=person.created_at
    )
    out = run(write(tmp_path, GOOD))
    assert "line 2: external_id 'H-1' is a deleted record; restore it first" in out
    assert Person.objects.get(pk=person.pk).first_name == "Old"


def test_duplicate_external_ids_in_one_file(program, tmp_path):
    text = HEADER + "H-1,José,,Núñez,,,,,,,,,\nH-1,José,,Núñez,,,,,,Main St,,,\n"
    out = run(write(tmp_path, text))
    assert "1 created, 1 updated" in summary(out)
    assert Person.objects.get(external_id="H-1").street_address == "Main St"


def test_unknown_program(program, tmp_path):
    with pytest.raises(CommandError, match="No program with slug 'nope'"):
        run(write(tmp_path, GOOD), program="nope")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text"),
        (b"PK\x03\x04\x14\x00\x00\x00", "a binary file"),
        (b'{"people": [{"first_name": "Ana"}]}\n', "not a people CSV"),
        (b"first_name;last_name\nAna;Lopez\n", "separated by semicolons"),
        (b"", "empty file"),
        (b'first_name,last_name\n"Ana,Lopez\n', "not valid CSV"),
        (b"first_name,first_name\nAna,Bo\n", "appear twice"),
    ],
)
def test_not_a_people_csv(program, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(path)
    assert not Person.objects.exists()
    assert not AuditEvent.objects.exists()


def test_missing_file(program, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing.csv")


def test_exit_status_is_non_zero_for_a_bad_file(program, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\x00\x01")
    with pytest.raises(SystemExit) as exc:
        from django.core.management import execute_from_command_line

        execute_from_command_line(
            ["manage.py", "import_people", str(path), "--program", "five-cities"]
        )
    assert exc.value.code == 1


def test_large_file_in_batches(program, tmp_path, monkeypatch):
    monkeypatch.setattr(people_bulk, "BATCH", 7)
    lines = [f"X-{n},Name{n},Last{n},1970-01-{1 + n % 28:02d}\n" for n in range(50)]
    path = write(
        tmp_path, "external_id,first_name,last_name,date_of_birth\n" + "".join(lines)
    )
    assert "50 created" in summary(run(path))
    assert "50 unchanged" in summary(run(path))
    assert Person.objects.count() == 50
