"""Antenna's settings, read from the environment.

ANTENNA_DATABASE_URL   database URL; default: a SQLite file in the data directory
ANTENNA_DATA_DIR       where the SQLite file, uploads and job directories live (default ./var)
ANTENNA_SECRET_KEY     the signing key; default: a random key made once in the data directory
ANTENNA_DEBUG          "1"/"true" for development (default off)
ANTENNA_ALLOWED_HOSTS  comma-separated host names (default localhost,127.0.0.1)
ANTENNA_BWRAP          the bubblewrap binary that sandboxes local jobs (default /usr/bin/bwrap)
ANTENNA_UNISOLATED_LOCAL_JOBS  "1": run local jobs unsandboxed when bwrap is missing (demo
                       only; default: ANTENNA_DEBUG)
ANTENNA_EMAIL_URL      smtp://host:port or smtp+tls://user:pass@host:587; default: the console
ANTENNA_EMAIL_FROM     the sender of notification e-mails
ANTENNA_EMAIL_MAX_ATTEMPTS  attempts to e-mail a notice before it is marked failed (8)
ANTENNA_DIGEST_HOUR    the local hour digests are e-mailed (7; weekly ones on Mondays)
ANTENNA_SITE_URL       the portal's address, for links in e-mails (http://127.0.0.1:8000)
ANTENNA_DISPATCH_PARALLEL  submits the worker has in flight at once per factory (default 8)
ANTENNA_DISPATCH_BATCH  queued jobs the worker leases at a time (default 100); it leases batch
                       after batch until none is due (docs/state-machines.md)
ANTENNA_ACCOUNTS_RECHECK_SECONDS  how often the worker reads the allocations' Slurm accounts to
                       repair drift when nothing changed in Antenna (default 60; docs/identity.md)
ANTENNA_REPORTS_CACHE_SECONDS  how long the public transparency page, its open-data CSV and
                       the outlook are kept in Django's cache (default 900; 0: not cached;
                       docs/kpis.md)
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("ANTENNA_DEBUG", False)
DATA_DIR = Path(os.environ.get("ANTENNA_DATA_DIR", Path.cwd() / "var")).resolve()
# The local connector runs each job in a bubblewrap sandbox (docs/security.md).
ANTENNA_BWRAP = os.environ.get("ANTENNA_BWRAP", "/usr/bin/bwrap")
# Run `local` jobs without a sandbox when bubblewrap is missing: only for the demo on one's
# own machine (`antenna demo` turns it on; ANTENNA_DEBUG implies it). Production: never.
ANTENNA_UNISOLATED_LOCAL_JOBS = _env_bool("ANTENNA_UNISOLATED_LOCAL_JOBS", DEBUG)


def _secret_key() -> str:
    """ANTENNA_SECRET_KEY, else a random key kept in the data directory (made once)."""
    key = os.environ.get("ANTENNA_SECRET_KEY", "")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ANTENNA_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "modeltranslation",  # before the admin: stored text in four languages (docs/i18n.md)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "antenna.core",
    "antenna.accounts",
    "antenna.organizations",
    "antenna.factories",
    "antenna.calls",
    "antenna.allocations",
    "antenna.proposals",
    "antenna.connectors",
    "antenna.jobs",
    "antenna.notifications",
    "antenna.expertise",
    "antenna.opportunities",
    "antenna.training",
    "antenna.reports",
    "antenna.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy on every response (django-csp). Scripts only from the app itself:
# no inline script, no eval, nothing from another origin (the templates carry no inline
# script; htmx and Chart.js are served from static files). Inline style attributes stay
# allowed: the budget bars set their width with one, and htmx injects its indicator style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

ROOT_URLCONF = "antenna.config.urls"
WSGI_APPLICATION = "antenna.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'antenna.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("ANTENNA_DATABASE_URL", _default_db),
        conn_max_age=int(os.environ.get("ANTENNA_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # Writers wait for each other instead of failing with "database is locked";
    # IMMEDIATE transactions take the write lock at BEGIN, so a conditional update
    # inside atomic() never races another writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"

# Sign-in throttling (django-axes): after ANTENNA_LOGIN_FAILURE_LIMIT failed sign-ins for one
# account, or from one address, within ANTENNA_LOGIN_LOCKOUT_MINUTES, further sign-ins for it
# are refused for that long, with a page that says so. A successful sign-in resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("ANTENNA_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("ANTENNA_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one alone locks
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "antenna.accounts.lockout.lockout_response"
AXES_VERBOSE = False
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

# Federated sign-in (OpenID Connect, e.g. MyAccessID or Keycloak; docs/identity.md). Off while
# ANTENNA_OIDC_ISSUER is empty; the provider's endpoints come from its discovery document
# (<issuer>/.well-known/openid-configuration). A returning person is matched by issuer + `sub`.
# Each allocation a Slurm account (jobs/slurm_accounts.py): a change in Antenna is written at
# the next worker cycle; drift made at the factory is looked for this often.
ANTENNA_ACCOUNTS_RECHECK_SECONDS = float(os.environ.get("ANTENNA_ACCOUNTS_RECHECK_SECONDS", "60"))
# Dispatch (jobs/dispatch.py): each factory's submits run in a pool of this many threads; the
# queued jobs are leased this many at a time, batch after batch, with no cap per cycle.
ANTENNA_DISPATCH_PARALLEL = max(1, int(os.environ.get("ANTENNA_DISPATCH_PARALLEL", "8")))
ANTENNA_DISPATCH_BATCH = max(1, int(os.environ.get("ANTENNA_DISPATCH_BATCH", "100")))
# The public transparency page, its open-data CSV and the outlook: computed at most this often
# per filter (Django's cache; the default cache is per process). 0: always computed.
ANTENNA_REPORTS_CACHE_SECONDS = int(os.environ.get("ANTENNA_REPORTS_CACHE_SECONDS", "900"))
ANTENNA_OIDC_ISSUER = os.environ.get("ANTENNA_OIDC_ISSUER", "").strip().rstrip("/")
ANTENNA_OIDC_CLIENT_ID = os.environ.get("ANTENNA_OIDC_CLIENT_ID", "")
ANTENNA_OIDC_CLIENT_SECRET = os.environ.get("ANTENNA_OIDC_CLIENT_SECRET", "")
ANTENNA_OIDC_NAME = os.environ.get("ANTENNA_OIDC_NAME", "OpenID Connect")
ANTENNA_OIDC_SCOPES = os.environ.get("ANTENNA_OIDC_SCOPES", "openid email profile")
# A claim mapping factory short names to usernames there ({"jupiter": "amartin"}): each
# sign-in verifies those site accounts. Empty: only operators verify them.
ANTENNA_OIDC_SITE_ACCOUNTS_CLAIM = os.environ.get("ANTENNA_OIDC_SITE_ACCOUNTS_CLAIM", "")
AUTHENTICATION_BACKENDS.append("antenna.accounts.federation.FederatedBackend")
if ANTENNA_OIDC_ISSUER:
    # Signing out is a form POST that redirects to the provider's end_session endpoint:
    # Chrome applies form-action to that redirect too.
    _issuer = urlsplit(ANTENNA_OIDC_ISSUER)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        f"{_issuer.scheme}://{_issuer.netloc}")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("nl", _("Dutch")),
    ("de", _("German")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Stored text (call titles, factory descriptions, events, opportunities) in every language
# above: `title_en`, `title_fr`, ...; a missing translation falls back to English, which the
# plain field name (`title=`) fills when nothing else is given (docs/i18n.md).
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "fr", "nl", "de")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
MODELTRANSLATION_AUTO_POPULATE = "default"
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "uploads/"

# Attachments to proposals: PDF only, at most this many bytes.
# Personal API tokens expire this many days after they are made (ANTENNA_TOKEN_DAYS).
ANTENNA_TOKEN_DAYS = int(os.environ.get("ANTENNA_TOKEN_DAYS", "90"))
ANTENNA_MAX_ATTACHMENT_BYTES = int(os.environ.get("ANTENNA_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = ANTENNA_MAX_ATTACHMENT_BYTES + 1024 * 1024
# All attachments of one organisation: at most this many bytes (ANTENNA_ORG_UPLOAD_QUOTA_BYTES).
ANTENNA_ORG_UPLOAD_QUOTA_BYTES = int(os.environ.get("ANTENNA_ORG_UPLOAD_QUOTA_BYTES",
                                                    200 * 1000 * 1000))

# E-mail (notifications): ANTENNA_EMAIL_URL, e.g. smtp://127.0.0.1:2525 or
# smtp+tls://user:pass@host:587 (smtps:// for TLS from the start); unset: the console (demo).
# The sender: ANTENNA_EMAIL_FROM.
_email_url = urlsplit(os.environ.get("ANTENNA_EMAIL_URL", ""))
if _email_url.scheme in ("smtp", "smtp+tls", "smtps"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email_url.hostname or "127.0.0.1"
    EMAIL_PORT = _email_url.port or {"smtp": 25, "smtp+tls": 587, "smtps": 465}[_email_url.scheme]
    EMAIL_HOST_USER = unquote(_email_url.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email_url.password or "")
    EMAIL_USE_TLS = _email_url.scheme == "smtp+tls"
    EMAIL_USE_SSL = _email_url.scheme == "smtps"
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("ANTENNA_EMAIL_FROM", "Antenna <antenna@localhost>")
# The worker sends the e-mails (notifications.outbox): a failed one is retried with back-off,
# at most ANTENNA_EMAIL_MAX_ATTEMPTS times; digests go out at ANTENNA_DIGEST_HOUR (local time,
# Mondays for weekly ones). Links in e-mails start with ANTENNA_SITE_URL.
ANTENNA_EMAIL_MAX_ATTEMPTS = int(os.environ.get("ANTENNA_EMAIL_MAX_ATTEMPTS", "8"))
ANTENNA_DIGEST_HOUR = int(os.environ.get("ANTENNA_DIGEST_HOUR", "7"))
ANTENNA_SITE_URL = os.environ.get("ANTENNA_SITE_URL", "http://127.0.0.1:8000")

# Production serves HTTPS only (behind a TLS-terminating proxy). `antenna demo` and the tests
# run on plain HTTP on loopback and set ANTENNA_HTTPS=0.
if not DEBUG and _env_bool("ANTENNA_HTTPS", True):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("ANTENNA_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "antenna": {"handlers": ["console"], "level": os.environ.get("ANTENNA_LOG_LEVEL", "INFO")},
    },
}
