"""Set Django up for the parts of the benchmark that use Antenna's database."""

from __future__ import annotations

import os

DEFAULT_SETTINGS = "antenna.config.settings"


def setup_django() -> None:
    """`django.setup()` with `DJANGO_SETTINGS_MODULE` (default: Antenna's settings)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    import django

    django.setup()


def migrated_database(database_url: str, *, prefix: str) -> str:
    """Set Django up on `database_url` (empty: a fresh SQLite file in a new temporary
    directory, which also holds the data dir) and migrate it, for the in-process benchmarks
    (bench/batch, bench/dispatch). Returns the temporary directory."""
    import tempfile

    tmp = tempfile.mkdtemp(prefix=prefix)
    os.environ["ANTENNA_DATA_DIR"] = tmp
    os.environ["ANTENNA_DATABASE_URL"] = database_url or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("ANTENNA_SECRET_KEY", "bench-only-not-secret")
    os.environ["DJANGO_SETTINGS_MODULE"] = DEFAULT_SETTINGS
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return tmp
