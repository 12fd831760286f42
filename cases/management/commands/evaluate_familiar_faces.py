import time

from django.core.management.base import BaseCommand, CommandError

from cases.familiar import evaluation, services
from navigator.models import Program


class Command(BaseCommand):
    help = (
        "Run the full familiar-faces evaluation now, for one program or all: "
        "raise, update and clear flags by the programs' active rules."
    )

    def add_arguments(self, parser):
        parser.add_argument("--program", metavar="SLUG", help="only this program")

    def handle(self, *args, program=None, **options):
        programs = Program.objects.order_by("slug")
        if program:
            programs = programs.filter(slug=program)
            if not programs.exists():
                raise CommandError(f"No program with slug {program!r}.")
        for prog in programs:
            services.rules_ensure_default(program=prog)
            start = time.monotonic()
            stats = evaluation.evaluate_program(prog)
            self.stdout.write(
                f"evaluate_familiar_faces: {prog.slug}: raised {stats.get('raised', 0)}, "
                f"updated {stats.get('updated', 0)}, cleared {stats.get('cleared', 0)}, "
                f"kept dismissed {stats.get('kept_dismissed', 0)} "
                f"in {time.monotonic() - start:.2f} s"
            )
