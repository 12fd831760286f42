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

Layout: ``reading`` (the file, its rows, each cell's value), ``writing``
(the rows through the people bulk write path,
``cases.services.people_bulk``), ``report`` (problems, the summary, the
problems CSV).
"""

from cases.importing.reading import (
    COLUMNS,
    NAME_COLUMNS,
    ParsedRow,
    Row,
    parse_people_csv,
    parse_row,
    read_people_csv,
)
from cases.importing.report import (
    REPORT_COLUMNS,
    ImportFileError,
    ImportReport,
    Problem,
    write_problems_csv,
)
from cases.importing.writing import people_import

__all__ = [
    "COLUMNS",
    "NAME_COLUMNS",
    "REPORT_COLUMNS",
    "ImportFileError",
    "ImportReport",
    "ParsedRow",
    "Problem",
    "Row",
    "parse_people_csv",
    "parse_row",
    "people_import",
    "read_people_csv",
    "write_problems_csv",
]
