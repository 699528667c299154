"""antenna create_token USERNAME: print a new personal API token (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from antenna.accounts.models import User
from antenna.accounts.services import token_create


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it on the last line (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label to recognise the token by.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user '{options['username']}'.")
        _, key = token_create(user=user, name=options["name"])
        self.stdout.write(f"Token for {user.username} (store it now, it is not shown again):")
        self.stdout.write(key)
