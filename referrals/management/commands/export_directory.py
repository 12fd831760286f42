"""``manage.py export_directory --program SLUG [--output FILE]``: the
program's directory as Open Referral HSDS 3.0 JSON (referrals/directory/hsds.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from navigator.models import Program
from referrals.directory import hsds


class Command(BaseCommand):
    help = (
        "Write the agencies and services the program works with as an Open "
        "Referral HSDS 3.0 JSON document (sorted: the same directory gives the "
        "same bytes), to stdout or --output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", required=True, metavar="SLUG")
        parser.add_argument("--output", metavar="FILE")

    def handle(self, *args, **options) -> None:
        program = Program.objects.filter(slug=options["program"]).first()
        if program is None:
            raise CommandError(f"No program with slug {options['program']!r}.")
        text = hsds.dumps(hsds.export_document(program))
        if options["output"]:
            try:
                Path(options["output"]).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {options['output']}: {exc}") from None
        else:
            self.stdout.write(text, ending="")
