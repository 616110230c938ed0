"""Django settings for the councils platform.

The database is the embedded SQLite file ``kuzbass.sqlite3`` in the data folder (``./var`` or
``KUZBASS_DATA_DIR``) unless ``DATABASE_URL`` names another one (PostgreSQL in deployments).
The secret key comes from ``DJANGO_SECRET_KEY`` or is generated once into the data folder, so it
is never part of the repository. The data folder is 0700; the database, its journals, the key and
the log are 0600.

Switches, all environment variables (README.md, "Running it for real"):

- ``KUZBASS_SECURE_COOKIES=1``: session and CSRF cookies only over HTTPS.
- ``KUZBASS_HSTS_SECONDS=N``: send Strict-Transport-Security for N seconds (0: not sent).
- ``KUZBASS_BEHIND_PROXY=1``: a reverse proxy terminates HTTPS; trust its
  ``X-Forwarded-Proto: https`` and take the client's address (for login throttling) from the
  last entry of its ``X-Forwarded-For``. Only set it when the proxy sets both headers.
- ``KUZBASS_LOG_FILE=path``: the access log and every server error (with its traceback) go to
  this file (0600) instead of stderr.
- ``KUZBASS_LOGIN_FAILURES`` (10) and ``KUZBASS_LOGIN_COOLOFF_MINUTES`` (15): after that many
  failed logins for one account, or from one address, logins for it wait that long.
- ``KUZBASS_PASSWORD_CHECKS`` (1): password hashes run at once on the machine (all server
  processes sharing the data folder); more logins at the same moment get 429 at once
  (``core.passwords``).
- ``KUZBASS_DUE_SECONDS`` (10): how often the task worker looks for things due without a time
  booked for them (a ballot whose whole roll has voted); closing times are booked exactly.

The Content-Security-Policy is always on: scripts come from this site's files only (no inline
script, no eval); inline styles are allowed, as plotly.js writes its own while drawing.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

from kuzbass.platform.core import files

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = files.private_folder(
    Path(os.environ.get("KUZBASS_DATA_DIR", Path.cwd() / "var")).resolve()
)


def _switch(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _whole_number(name: str, default: int) -> int:
    return int(os.environ.get(name, "").strip() or default)


def _secret_key() -> str:
    """Read the key from the environment, else from the data folder, creating it the first time."""
    from_environment = os.environ.get("DJANGO_SECRET_KEY")
    if from_environment:
        return from_environment
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        files.write_private_text(key_file, secrets.token_urlsafe(50))
    files.make_private(key_file)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("KUZBASS_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("KUZBASS_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("KUZBASS_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "kuzbass.platform.core",
    "kuzbass.platform.ledger",
    "kuzbass.platform.councils",
    "kuzbass.platform.plans",
    "kuzbass.platform.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kuzbass.platform.core.middleware.RequestGuard",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kuzbass.platform.urls"
WSGI_APPLICATION = "kuzbass.platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _databases() -> dict[str, dict[str, object]]:
    url = os.environ.get("DATABASE_URL")
    if url:
        database: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
        return {"default": database}
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "kuzbass.sqlite3",
            # BEGIN IMMEDIATE takes the write lock when a transaction starts, so concurrent
            # writers queue (up to the timeout) instead of failing on a lock upgrade.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                # secure_delete: deleted rows are overwritten, so a secret ballot's pool leaves no
                # trace in free pages (councils.services.papers).
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"
                ),
            },
            # A file, not shared-cache memory, so that test threads and the live server see
            # one database with ordinary locking.
            "TEST": {"NAME": str(DATA_DIR / "test_kuzbass.sqlite3")},
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's database sessions and model backend, with their per-request reads precompiled.
SESSION_ENGINE = "kuzbass.platform.sessions"
# django-axes first: it refuses a locked-out account or address before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kuzbass.platform.sessions.ModelBackend",
]

PASSWORD_HASHERS = [
    "kuzbass.platform.core.passwords.BoundedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# The language comes from the browser (Accept-Language) or the switch on every page (a cookie);
# dates follow it. Thousands separators are not switched on globally (ids and form values in
# templates are numbers too): quantities are grouped by the quantity filter.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["kuzbass.platform.formats"]  # English dates in ISO 8601, 24-hour
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "kuzbass.platform.staticfinders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "kuzbass.platform.staticfinders.HashedStaticFiles"},
}

# Background tasks (closing ballots at their time): a queue table in the platform's own database,
# worked by ``db_worker``, which ``kuzbass serve`` starts (``core.tasks``).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
KUZBASS_DUE_SECONDS = max(1, _whole_number("KUZBASS_DUE_SECONDS", 10))
KUZBASS_PASSWORD_CHECKS = max(1, _whole_number("KUZBASS_PASSWORD_CHECKS", 1))

# Login throttling (django-axes, counting in the database so every server process agrees):
# an account, or an address, that fails this often waits before it may try again.
AXES_FAILURE_LIMIT = _whole_number("KUZBASS_LOGIN_FAILURES", 10)
AXES_COOLOFF_TIME = timedelta(minutes=_whole_number("KUZBASS_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kuzbass.platform.core.passwords.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # keep failed attempts only, not who logged in when from where
AXES_VERBOSE = False

SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if _switch("KUZBASS_BEHIND_PROXY") else None
)
if _switch("KUZBASS_BEHIND_PROXY"):
    AXES_CLIENT_IP_CALLABLE = "kuzbass.platform.core.middleware.forwarded_client_address"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _switch("KUZBASS_SECURE_COOKIES")
SECURE_HSTS_SECONDS = _whole_number("KUZBASS_HSTS_SECONDS", 0)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # plotly.js adds its own <style> elements as it draws; styles cannot run code.
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOG_FILE = os.environ.get("KUZBASS_LOG_FILE", "").strip()
if LOG_FILE:
    files.create_private_file(Path(LOG_FILE))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "out": {"class": "logging.FileHandler", "filename": LOG_FILE, "formatter": "plain"}
        if LOG_FILE
        else {"class": "kuzbass.platform.core.logs.StderrHandler", "formatter": "plain"},
    },
    "loggers": {
        # Every 500, with its traceback (the visitor sees a plain error page, never this).
        "django.request": {"handlers": ["out"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["out"], "level": "WARNING", "propagate": False},
        "axes": {"handlers": ["out"], "level": "WARNING", "propagate": False},
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
