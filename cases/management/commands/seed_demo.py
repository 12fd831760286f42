"""``manage.py seed_demo``: realistic synthetic data for demos and benchmarks."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases import seeding
from navigator.context import audit_context, new_request_id
from navigator.progress import Progress


class Command(BaseCommand):
    help = (
        "Create or top up demo data: 3 programs (slug 'demo' = Five Cities, "
        "'demo-oncall', 'demo-crisis'), their users (demo: navigator, caseworker, "
        "manager, admin, navigator2-4; partner users clinic and housing; navigator-oncall, manager-oncall, "
        "navigator-crisis, manager-crisis, ...), synthetic people and a year of "
        "encounters. Idempotent: people are keyed by external_id 'demo-<n>' and "
        "encounters by CAD number 'DEMO-<n>'; a re-run adds only missing keys "
        "(so the same arguments add nothing, bigger numbers top up) and resets "
        "the demo users' passwords. After adding, the programs' familiar-faces "
        "flags are evaluated. Once, the demo staff get follow-ups (overdue, "
        "today, coming up, some closed), made through the follow-up services; "
        "later runs add none. A directory of partner agencies for each program (demo-clinic, demo-housing ...) and referrals in every status with their consents (keyed: a bigger --referrals tops up). On PostgreSQL a load of more than 50,000 rows "
        "locks the people, encounter and user tables until it is done."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--people",
            type=int,
            default=seeding.DEFAULT_PEOPLE,
            help=f"people to seed (default {seeding.DEFAULT_PEOPLE})",
        )
        parser.add_argument(
            "--encounters",
            type=int,
            default=seeding.DEFAULT_ENCOUNTERS,
            help=f"encounters to seed (default {seeding.DEFAULT_ENCOUNTERS})",
        )
        parser.add_argument(
            "--agencies",
            type=int,
            default=0,
            help="at least this many partner agencies in all programs' "
            f"directories (the curated ones are {seeding.curated_agencies()}; "
            "more are generated)",
        )
        parser.add_argument(
            "--referrals",
            type=int,
            default=seeding.DEFAULT_REFERRALS,
            help="referrals to seed, with their consents and history "
            f"(default {seeding.DEFAULT_REFERRALS})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=seeding.DEFAULT_SEED,
            help="random seed: the same seed gives the same data (default 1)",
        )
        parser.add_argument(
            "--password",
            default=seeding.DEFAULT_PASSWORD,
            help="password of every demo user (default navigator-demo)",
        )

    def handle(self, *args, **options) -> None:
        for name in ("people", "encounters", "agencies", "referrals"):
            if options[name] < 0:
                raise CommandError(f"--{name} must not be negative.")
        if not options["password"]:
            raise CommandError("--password must not be empty.")
        progress = Progress(stream=self.stderr)
        with audit_context(request_id=new_request_id(), source="command"):
            result = seeding.seed_demo(
                people=options["people"],
                encounters=options["encounters"],
                seed=options["seed"],
                password=options["password"],
                progress=progress,
                agencies=options["agencies"],
                referrals=options["referrals"],
            )
        line = progress.summary(
            "seed_demo",
            [
                (result.programs, "programs"),
                (result.users, "users"),
                (result.people, "people"),
                (result.encounters, "encounters"),
                (result.followups, "follow-ups"),
                (result.agencies, "agencies"),
                (result.referrals, "referrals"),
            ],
        )
        if options["verbosity"] >= 2:
            self.stdout.write(f"phases: {progress.timings()}")
            for slug, stats in result.familiar_faces.items():
                self.stdout.write(
                    f"familiar faces in {slug}: "
                    + ", ".join(f"{k} {v}" for k, v in sorted(stats.items()))
                )
            for slug, statuses in result.followup_statuses.items():
                self.stdout.write(
                    f"follow-ups in {slug}: "
                    + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
                )
            if result.referral_statuses:
                self.stdout.write(
                    "referrals added: "
                    + ", ".join(
                        f"{k} {v}" for k, v in sorted(result.referral_statuses.items())
                    )
                )
        added = (
            result.people_added,
            result.encounters_added,
            result.followups_added,
            result.agencies_added,
            result.referrals_added,
        )
        totals = (
            result.people,
            result.encounters,
            result.followups,
            result.agencies,
            result.referrals,
        )
        if not any(added):
            line += " (nothing to add)"
        elif added != totals:
            line += (
                f" (added {result.people_added} people, "
                f"{result.encounters_added} encounters, "
                f"{result.followups_added} follow-ups, "
                f"{result.agencies_added} agencies, "
                f"{result.referrals_added} referrals)"
            )
        self.stdout.write(line)
