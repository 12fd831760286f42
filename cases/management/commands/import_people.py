"""``manage.py import_people FILE.csv --program SLUG``: see cases/importing.py."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from cases import importing
from navigator.context import audit_context, new_request_id
from navigator.models import Program
from navigator.progress import Progress


class Command(BaseCommand):
    help = (
        "Import people from a CSV file (UTF-8, header row) with the columns "
        f"{', '.join(importing.COLUMNS)}; all optional but a name. Keeps every "
        "row with a name: values it cannot store are kept as given and reported. "
        "The same external_id updates that person (empty cells change nothing). "
        "Exit status 1 if the file cannot be read as such a CSV (nothing is "
        "written then)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.csv")
        parser.add_argument("--program", required=True, metavar="SLUG")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check and count everything, write nothing",
        )
        parser.add_argument(
            "--report",
            metavar="FILE.csv",
            help="also write the problems to this CSV file",
        )

    def handle(self, *args, **options) -> None:
        try:
            program = Program.objects.get(slug=options["program"])
        except Program.DoesNotExist:
            raise CommandError(
                f"No program with slug {options['program']!r}."
            ) from None
        try:
            rows, file_problems = importing.read_people_csv(options["file"])
        except importing.ImportFileError as exc:
            raise CommandError(str(exc)) from None
        progress = Progress(stream=self.stderr)
        try:
            with audit_context(request_id=new_request_id(), source="command"):
                report = importing.people_import(
                    program=program,
                    rows=rows,
                    problems=file_problems,
                    dry_run=options["dry_run"],
                    source_name=options["file"],
                    progress=progress,
                )
        except IntegrityError as exc:
            # Another import creating the same external_id at the same time.
            raise CommandError(f"Nothing imported: {exc}") from None
        for problem in report.problems:
            self.stdout.write(str(problem))
        if options["report"]:
            importing.write_problems_csv(report.problems, options["report"])
        line = progress.summary(
            "import_people",
            [
                (report.created, "created"),
                (report.updated, "updated"),
                (report.unchanged, "unchanged"),
                (report.kept_with_problems, "kept with problems"),
                (report.rejected, "rejected"),
            ],
        )
        if report.dry_run:
            line += " (dry run: nothing written)"
        self.stdout.write(line)
