"""``manage.py import_directory FILE.json --program SLUG``: an Open Referral
HSDS 3.0 directory into a program (referrals/directory/hsds.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from navigator.context import audit_context, new_request_id
from navigator.models import Program
from referrals.directory import hsds


class Command(BaseCommand):
    help = (
        "Load an Open Referral HSDS 3.0 directory (a JSON object with "
        '"organizations" and "services" lists) into a program. Each record is '
        "checked against the HSDS 3.0 schemas; one that fails is reported "
        "(type, id, what) and the others load. Re-importing the same HSDS ids "
        "updates, never duplicates. Exit status 1 if the file is not such a "
        "JSON document (nothing is written then)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.json")
        parser.add_argument("--program", required=True, metavar="SLUG")

    def handle(self, *args, **options) -> None:
        program = Program.objects.filter(slug=options["program"]).first()
        if program is None:
            raise CommandError(f"No program with slug {options['program']!r}.")
        try:
            raw = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from None
        try:
            document = hsds.load_text(raw)
            with audit_context(request_id=new_request_id(), source="command"):
                report = hsds.import_document(
                    by=None, program=program, document=document
                )
        except hsds.HsdsFileError as exc:
            raise CommandError(f"Nothing imported: {exc}") from None
        except IntegrityError as exc:
            # Another import writing the same ids or slugs at the same time.
            raise CommandError(f"Nothing imported: {exc}") from None
        for line in hsds.problems_text(report.problems):
            self.stderr.write(line)
        parts = [
            f"{report.created[kind]} created, {report.updated[kind]} updated, "
            f"{report.unchanged[kind]} unchanged {label}"
            for kind, label in (("agency", "organizations"), ("service", "services"))
        ]
        self.stdout.write(
            f"import_directory: {'; '.join(parts)}; "
            f"{len(report.problems)} records with problems (not loaded)."
        )
