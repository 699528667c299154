"""Settings for the test suite: production settings served over plain HTTP, fast hashing."""

from antenna.config.settings import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrent tests need SQLite's real locking (a busy
    # timeout), which shared-cache in-memory databases do not honour.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"antenna-test-{os.getpid()}.sqlite3"),  # noqa: F405
    }
