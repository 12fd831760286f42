"""Give the runtime database role its privileges; run after every migrate.

    manage.py grant_runtime_role --role navigator_app

Run it connected as the owner role that ran ``migrate`` (docker-compose's
``migrate`` service does both). Idempotent: it re-states the grants each time
and refuses a role that is a superuser, owns anything or belongs to a role.
PostgreSQL only. docs/decisions/0005-database-roles.md.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from navigator.dbroles import APPEND_ONLY_TABLES, RoleError, runtime_role_grant


class Command(BaseCommand):
    help = "Grant the runtime database role what web, worker and beat need."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--role",
            required=True,
            help="The runtime role web, worker and beat log in as.",
        )

    def handle(self, *args, role: str, **options) -> None:
        try:
            granted = runtime_role_grant(role=role)
        except RoleError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{granted.role}: SELECT, INSERT, UPDATE, DELETE on the "
            f"{granted.tables} tables of schema {granted.schema} (only SELECT, "
            f"INSERT on {', '.join(APPEND_ONLY_TABLES)}), USAGE on its "
            f"{granted.sequences} sequences; the same by default on what "
            f"{granted.grantor} creates next."
        )
        if granted.owner != granted.grantor:
            self.stderr.write(
                f"Warning: the tables belong to {granted.owner}, not to "
                f"{granted.grantor}: tables the next migrations create get no "
                "grants until this runs again. Run it as the role that runs "
                "migrate."
            )
