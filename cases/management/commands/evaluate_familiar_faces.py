import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cases.familiar import services
from navigator.context import audit_context, new_request_id
from navigator.models import Program


class Command(BaseCommand):
    help = (
        "Run the full familiar-faces evaluation now, for one program or all: "
        "raise, update and clear flags by the programs' active rules."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--program", metavar="SLUG", help="only this program")

    def handle(self, *args: Any, program: str | None = None, **options: Any) -> None:
        programs = Program.objects.order_by("slug")
        if program:
            programs = programs.filter(slug=program)
            if not programs.exists():
                raise CommandError(f"No program with slug {program!r}.")
        with audit_context(
            request_id=new_request_id(),
            source="command",
            endpoint="evaluate_familiar_faces",
        ):
            for prog in programs:
                start = time.monotonic()
                stats = services.familiar_faces_evaluate_program(program=prog)
                self.stdout.write(
                    f"evaluate_familiar_faces: {prog.slug}: "
                    f"raised {stats.get('raised', 0)}, "
                    f"updated {stats.get('updated', 0)}, "
                    f"cleared {stats.get('cleared', 0)}, "
                    f"kept dismissed {stats.get('kept_dismissed', 0)} "
                    f"in {time.monotonic() - start:.2f} s"
                )
