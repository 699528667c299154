"""antenna create_token USERNAME: print a new personal API token (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from antenna.accounts.models import User
from antenna.accounts.services import token_create
from antenna.core.errors import AntennaError


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it on the last line (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label to recognise the token by.")
        parser.add_argument("--days", type=int, default=None,
                            help="Days until the token expires (default ANTENNA_TOKEN_DAYS, 90).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user '{options['username']}'.")
        try:
            token, key = token_create(user=user, name=options["name"], days=options["days"])
        except AntennaError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Token for {user.username}, valid until "
                          f"{token.expires_at:%Y-%m-%d %H:%M} UTC "
                          "(store it now, it is not shown again):")
        self.stdout.write(key)
