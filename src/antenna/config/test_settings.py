"""Settings for the test suite: production settings served over plain HTTP, fast hashing."""

from antenna.config.settings import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Local jobs run in bubblewrap wherever it is installed (CI installs it, and its sandbox
# tests must run there). On a machine without it, `make test` still runs the job tests,
# unsandboxed as in the demo; the sandbox tests then skip and say why.
ANTENNA_UNISOLATED_LOCAL_JOBS = not os.access(ANTENNA_BWRAP, os.X_OK)  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrent tests need SQLite's real locking (a busy
    # timeout), which shared-cache in-memory databases do not honour.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"antenna-test-{os.getpid()}.sqlite3"),  # noqa: F405
    }
# The worker compares the Slurm accounts at every cycle in tests (drift is repaired at once).
ANTENNA_ACCOUNTS_RECHECK_SECONDS = 0.0
