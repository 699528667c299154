"""antenna create_user USERNAME --email E --password P [--role ROLE]"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from antenna.accounts.models import PlatformRole
from antenna.accounts.services import user_create
from antenna.core.errors import AntennaError


class Command(BaseCommand):
    help = "Create a user, optionally with a platform role (operator, reviewer, expert, observer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="", help="E-mail address.")
        parser.add_argument("--password", required=True, help="Initial password.")
        parser.add_argument("--role", default="", choices=[r for r in PlatformRole.values if r],
                            help="Platform role; omit for an applicant.")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = user_create(username=options["username"], email=options["email"],
                               password=options["password"], role=options["role"],
                               first_name=options["first_name"],
                               last_name=options["last_name"])
        except AntennaError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Created user {user.username}" +
                          (f" with role {user.role}" if user.role else ""))
