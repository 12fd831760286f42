"""``manage.py create_partner_token --agency SLUG [--name NAME] [--expires
DAYS]``: a new token for a partner agency, printed once, alone on stdout
(everything else on stderr, so ``KEY=$(manage.py create_partner_token …)``
captures the key only). ``--revoke PREFIX`` revokes the agency's token with
that prefix instead. Only the key's hash is stored."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from navigator.errors import DomainError
from referrals.models import Agency, PartnerToken
from referrals.partners.services import partner_token_create, partner_token_revoke


class Command(BaseCommand):
    help = (
        "Create a partner agency's API token (printed once, alone on stdout; "
        "default lifetime one year; at most two active per agency), or revoke "
        "one with --revoke PREFIX."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True, metavar="SLUG")
        parser.add_argument("--name", default="", metavar="NAME")
        parser.add_argument("--expires", type=int, metavar="DAYS")
        parser.add_argument("--revoke", metavar="PREFIX")

    def handle(self, *args, **options) -> None:
        agency = Agency.objects.filter(slug=options["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency with slug {options['agency']!r}.")
        try:
            if options["revoke"]:
                self._revoke(agency, options["revoke"])
                return
            token, key = partner_token_create(
                agency=agency, name=options["name"], expires_in_days=options["expires"]
            )
        except DomainError as exc:
            raise CommandError(exc.detail) from None
        self.stderr.write(
            f"Token {token.key_prefix}… for {agency.name}, expires "
            f"{token.expires_at:%Y-%m-%d}. It is shown once: store it now."
        )
        self.stdout.write(key)

    def _revoke(self, agency: Agency, prefix: str) -> None:
        matches = list(
            PartnerToken.objects.filter(agency=agency, key_prefix__startswith=prefix)
        )
        if len(matches) != 1:
            raise CommandError(
                f"{len(matches)} tokens of {agency.slug} start with {prefix!r}: "
                "give the whole prefix shown when it was created."
            )
        token = partner_token_revoke(token=matches[0])
        self.stderr.write(f"Token {token.key_prefix}… of {agency.name} revoked.")
