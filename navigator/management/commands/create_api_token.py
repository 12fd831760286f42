"""Create or revoke an API bearer token.

    manage.py create_api_token --user USERNAME [--name NAME]
    manage.py create_api_token --revoke=PREFIX [--user USERNAME]

The key is printed once, alone on stdout (so ``KEY=$(…)`` works); only its
hash is stored. Revoking takes the 8-character prefix shown in the admin and
in the creation message. Write ``--revoke=PREFIX`` with "=": prefixes are
URL-safe base64 and one in 64 starts with "-", which argparse would otherwise
read as an option.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from navigator.models import ApiToken, User
from navigator.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Create an API token for a user (key printed once), or revoke one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="Username the token acts as.")
        parser.add_argument(
            "--name",
            default="api",
            help="What the token is for, e.g. 'field app' (default: api).",
        )
        parser.add_argument(
            "--revoke",
            metavar="PREFIX",
            help="Revoke the token with this prefix (write --revoke=PREFIX).",
        )

    def handle(self, *args, user: str | None, name: str, revoke: str | None, **opts):
        if revoke:
            self._revoke(prefix=revoke, username=user)
            return
        if not user:
            raise CommandError("Give --user USERNAME (or --revoke PREFIX).")
        name = name.strip()
        if not name or len(name) > (ApiToken._meta.get_field("name").max_length or 0):
            raise CommandError("--name must be 1 to 100 characters.")
        account = self._user(user)
        if not account.is_active:
            raise CommandError(f"User {user!r} is inactive; a token would not work.")
        token, key = api_token_create(user=account, name=name)
        self.stderr.write(
            f"Token {token.name!r} for {account.username}; revoke it with "
            f"--revoke={token.key_prefix}. The key below is shown once; store it now:"
        )
        self.stdout.write(key)

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None

    def _revoke(self, *, prefix: str, username: str | None) -> None:
        tokens = ApiToken.objects.filter(key_prefix=prefix, revoked_at__isnull=True)
        if username:
            tokens = tokens.filter(user=self._user(username))
        found = list(tokens.select_related("user")[:2])
        if not found:
            raise CommandError(f"No active token with prefix {prefix!r}.")
        if len(found) > 1:
            # Prefixes are 8 random characters, so this is rare; never guess.
            raise CommandError(
                f"Several active tokens share prefix {prefix!r}; add --user."
            )
        token = api_token_revoke(token=found[0])
        self.stdout.write(
            f"Revoked token {token.name!r} of {token.user.username} "
            f"(prefix {token.key_prefix})."
        )
