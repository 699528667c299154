"""The `antenna` command: Django's manage.py under the project's name."""

import os
import sys


def main() -> None:
    """Run a Django management command (`antenna migrate`, `antenna demo`, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antenna.config.settings")
    if sys.argv[1:2] in (["demo"], ["runserver"], ["test"]):
        # Local, plain-HTTP uses: no HTTPS redirect or secure-only cookies.
        os.environ.setdefault("ANTENNA_HTTPS", "0")
    if sys.argv[1:2] == ["demo"]:
        # The demo runs jobs even where bubblewrap is missing, flagged on every page that
        # shows them (production refuses them: docs/security.md).
        os.environ.setdefault("ANTENNA_UNISOLATED_LOCAL_JOBS", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
