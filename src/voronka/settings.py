"""Django settings, read from the environment with safe embedded defaults.

Embedded mode (no settings at all): SQLite in WAL mode and a secret key generated once,
both kept in the data directory (``VORONKA_DATA_DIR``, default ``./var``).
Production mode (``VORONKA_ENV=production``) fails fast without ``SECRET_KEY`` and ``DATABASE_URL``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from voronka.core.currency import normalize_currency
from voronka.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("VORONKA_DATA_DIR", str(Path.cwd() / "var"))).resolve()
PRODUCTION = env_str("VORONKA_ENV", "embedded") == "production"
DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("VORONKA_TESTING", False)


def _private_data_dir() -> Path:
    """The data directory, created private to the service user (0700): it holds the database and the key."""
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = DATA_DIR.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():  # made by an older version: close it
        DATA_DIR.chmod(0o700)
    return DATA_DIR


def _private_file(path: Path) -> Path:
    """Create ``path`` empty if missing and make it readable by the service user only (0600)."""
    path.touch(mode=0o600, exist_ok=True)
    info = path.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        path.chmod(0o600)
    return path


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY is required when VORONKA_ENV=production")
    key_file = _private_data_dir() / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "ninja",  # its templates and static files: the API docs page is served locally, no CDN
    "voronka.core",
    "voronka.accounts",
    "voronka.catalog",
    "voronka.clients",
    "voronka.pipelines",
    "voronka.deals",
    "voronka.activities",
    "voronka.plans",
    "voronka.audit",
    "voronka.events",
    "voronka.integrations",
    "voronka.automation",
    "voronka.billing",
    "voronka.mailings",
    "voronka.analytics",
    "voronka.imports",
    "voronka.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "voronka.accounts.middleware.UserLanguageMiddleware",
    "voronka.accounts.middleware.SessionIdleTimeoutMiddleware",
    "voronka.accounts.middleware.TwoFactorRequiredMiddleware",
    "voronka.core.middleware.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "voronka.urls"
WSGI_APPLICATION = "voronka.wsgi.application"

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
                "voronka.automation.context_processors.notifications",
                "voronka.web.context_processors.task_counters",
            ],
        },
    }
]


def _databases() -> dict:
    url = env_str("DATABASE_URL")
    if not url:
        if PRODUCTION:
            raise ImproperlyConfigured("DATABASE_URL is required when VORONKA_ENV=production")
        # SQLite creates the -wal and -shm files with the database file's mode: 0600 makes all three private.
        url = f"sqlite:///{_private_file(_private_data_dir() / 'voronka.sqlite3')}"
    default = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    if default["ENGINE"] == "django.db.backends.sqlite3":
        default["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
                " PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
    default["TEST"] = {"NAME": env_str("VORONKA_TEST_DB_NAME", "") or None}
    if default["ENGINE"] == "django.db.backends.postgresql":
        # JIT compilation costs seconds on the board's short queries and gains nothing for OLTP work.
        default.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    dbs = {"default": default}
    replica = env_str("DATABASE_REPLICA_URL")
    if replica:
        # Read-only copy for reports (voronka.core.db_router); never migrated, tests mirror the primary.
        dbs["replica"] = dj_database_url.parse(replica, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
        if dbs["replica"]["ENGINE"] == "django.db.backends.postgresql":
            dbs["replica"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
        dbs["replica"]["TEST"] = {"MIRROR": "default"}
    return dbs


DATABASES = _databases()
# Reports read from the replica explicitly (voronka.core.db_router.reporting_db); nothing else goes there.
DATABASE_ROUTERS = ["voronka.core.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"  # "/" = the dashboard of the user's role; a safe ?next= wins
LOGOUT_REDIRECT_URL = "web:login"

# Sign-in lockout (django-axes): after VORONKA_LOGIN_FAILURE_LIMIT failed sign-ins for one username or from one
# IP address, sign-in is refused for VORONKA_LOGIN_COOLOFF_MINUTES, before any password is hashed. The
# attempts are rows in the database (every web process sees them); an administrator unlocks in the admin
# (Axes › access attempts: delete the rows) or with `voronka manage axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Two-factor sign-in (TOTP, django-otp): optional per user; mandatory for these roles (e.g. "admin,head").
VORONKA_2FA_REQUIRED_ROLES = env_list("VORONKA_2FA_REQUIRED_ROLES", [])
OTP_TOTP_ISSUER = env_str("VORONKA_2FA_ISSUER", "Voronka")
AXES_FAILURE_LIMIT = env_int("VORONKA_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("VORONKA_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "voronka.core.http.client_ip"
VORONKA_PROXY_COUNT = env_int("VORONKA_PROXY_COUNT", 0)  # reverse proxies in front that set X-Forwarded-For

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG


def _caches(url: str) -> dict:
    """``redis://`` / ``rediss://`` / ``unix://`` give a cache shared by every process; empty or
    ``locmem://`` a per-process one. Anything else is refused rather than silently ignored."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "voronka")}}
    if url in ("", "locmem://"):
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    scheme = url.partition("://")[0]  # never echo the URL: it may hold a password
    raise ImproperlyConfigured(f"CACHE_URL must be redis://, rediss://, unix:// or locmem:// (got {scheme}://)")


CACHE_URL = env_str("CACHE_URL")
CACHES = _caches(CACHE_URL)

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Mail (password reset; later notifications): SMTP when EMAIL_HOST is set, else printed to the console.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                        else "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "voronka@localhost")
# The address of the installation as users open it: links in notification emails start with it.
VORONKA_BASE_URL = env_str("VORONKA_BASE_URL", "http://localhost:8000")
# Our company's name in email templates ({{ company.name }}).
VORONKA_COMPANY_NAME = env_str("VORONKA_COMPANY_NAME", "")
PASSWORD_RESET_TIMEOUT = env_int("VORONKA_PASSWORD_RESET_HOURS", 2) * 3600
VORONKA_PASSWORD_RESETS_PER_HOUR = env_int("VORONKA_PASSWORD_RESETS_PER_HOUR", 10)  # per IP address

SESSION_COOKIE_HTTPONLY = True
# Idle timeout: a session ends after this long without a request (accounts.middleware); `voronka tick` purges.
SESSION_COOKIE_AGE = env_int("VORONKA_SESSION_IDLE_MINUTES", 8 * 60) * 60
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 10 or 1)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts only from our own static files (no inline script, no inline
# handler, no eval: behaviour is declared with data attributes in app.js); styles allow inline attributes
# (htmx's indicator style, ECharts, the admin). No CDN anywhere, so 'self' covers everything.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True


def _proxy_ssl_header() -> tuple[str, str] | None:
    """Trust the proxy's scheme header only when told to: a proxy that does not overwrite it would let
    any client claim HTTPS. ``USE_X_FORWARDED_PROTO=1`` or ``SECURE_PROXY_SSL_HEADER=HEADER,value``."""
    raw = env_str("SECURE_PROXY_SSL_HEADER")
    if raw:
        header, _sep, value = (part.strip() for part in raw.partition(","))
        if not header or not value:
            raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must be 'HEADER,value', e.g. 'HTTP_X_FORWARDED_PROTO,https'")
        return (header if header.startswith("HTTP_") else "HTTP_" + header.upper().replace("-", "_"), value)
    if env_bool("USE_X_FORWARDED_PROTO", False):
        return ("HTTP_X_FORWARDED_PROTO", "https")
    return None


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header()
# HTTPS only, on by default in production; health probes stay reachable over plain HTTP.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Subdomains and the preload list are the domain owner's decision, not the CRM's: off unless set, and
# ``voronka check --deploy`` does not nag about them (docs/deployment.md, HTTPS).
SILENCED_SYSTEM_CHECKS = [check for check, chosen in (("security.W005", SECURE_HSTS_INCLUDE_SUBDOMAINS),
                                                      ("security.W021", SECURE_HSTS_PRELOAD)) if not chosen]

# Business settings.
VORONKA_WON_REQUIRES_AMOUNT = env_bool("VORONKA_WON_REQUIRES_AMOUNT", True)
# The installation's base currency (reports show its sums first): an ISO 4217 code, checked at start-up.
VORONKA_DEFAULT_CURRENCY = normalize_currency(env_str("VORONKA_DEFAULT_CURRENCY", "RUB")) or ""
if not VORONKA_DEFAULT_CURRENCY:
    raise ImproperlyConfigured("VORONKA_DEFAULT_CURRENCY must be an ISO 4217 code such as RUB, USD or EUR")
VORONKA_OUTBOX_MAX_ATTEMPTS = env_int("VORONKA_OUTBOX_MAX_ATTEMPTS", 10)  # then a row waits for a person
# The worker and the scheduler (docs/architecture.md, "Scheduler and worker"): a worker writes its heartbeat
# every HEARTBEAT seconds; one silent for STALE seconds is dead (/readyz is not ready while no worker is
# alive, when the queue is the database's); a task it was running is queued again, up to MAX_ATTEMPTS runs,
# then it stays failed (Settings › Worker) for a person to look at.
VORONKA_WORKER_HEARTBEAT_SECONDS = env_int("VORONKA_WORKER_HEARTBEAT_SECONDS", 10)
VORONKA_WORKER_STALE_SECONDS = env_int("VORONKA_WORKER_STALE_SECONDS", 60)
VORONKA_TASK_MAX_ATTEMPTS = env_int("VORONKA_TASK_MAX_ATTEMPTS", 3)
VORONKA_TASK_TIMEOUT_SECONDS = env_int("VORONKA_TASK_TIMEOUT_SECONDS", 3600)  # taken back even from a live worker
# PostgreSQL: off lets the worker's commits return before the disk flush (docs/deployment.md: a server crash
# may lose the last moment of the worker's writes; every job's input is durable and every job idempotent).
VORONKA_WORKER_SYNCHRONOUS_COMMIT = env_bool("VORONKA_WORKER_SYNCHRONOUS_COMMIT", True)
# Jobs a worker claims per transaction (results written with the next claim); 1: django-tasks-db's own loop.
VORONKA_WORKER_CLAIM = env_int("VORONKA_WORKER_CLAIM", 20)
VORONKA_WORKER_CLAIM_WINDOW = float(os.environ.get("VORONKA_WORKER_CLAIM_WINDOW", "1.0"))  # seconds
VORONKA_WORKER_REQUIRED = env_bool("VORONKA_WORKER_REQUIRED", TASKS["default"]["BACKEND"].startswith("django_tasks_db"))
# Notification emails: attempts before one is given up, and how long a send holds its row.
VORONKA_EMAIL_MAX_ATTEMPTS = env_int("VORONKA_EMAIL_MAX_ATTEMPTS", 5)
VORONKA_EMAIL_LEASE_SECONDS = env_int("VORONKA_EMAIL_LEASE_SECONDS", 120)
# Reminders and SLAs: minutes before a timed task, minutes a new owner has to act on a handed-off deal.
VORONKA_TASK_REMINDER_MINUTES = env_int("VORONKA_TASK_REMINDER_MINUTES", 15)
VORONKA_HANDOFF_ACCEPT_MINUTES = env_int("VORONKA_HANDOFF_ACCEPT_MINUTES", 240)
# Daily emails (opt-in per user), local time of the installation (TIME_ZONE), HH:MM.
VORONKA_DIGEST_TIME = env_str("VORONKA_DIGEST_TIME", "08:00")
VORONKA_SUMMARY_TIME = env_str("VORONKA_SUMMARY_TIME", "08:30")
VORONKA_DIPS_TIME = env_str("VORONKA_DIPS_TIME", "09:00")
# Outgoing webhooks (docs/integrations.md): request timeout, attempts before a delivery is dead (backoff 1, 2,
# 4 ... minutes, capped), consecutive failed attempts before a subscription pauses itself.
VORONKA_WEBHOOK_TIMEOUT_SECONDS = env_int("VORONKA_WEBHOOK_TIMEOUT_SECONDS", 5)
VORONKA_WEBHOOK_MAX_ATTEMPTS = env_int("VORONKA_WEBHOOK_MAX_ATTEMPTS", 8)
VORONKA_WEBHOOK_BACKOFF_CAP_MINUTES = env_int("VORONKA_WEBHOOK_BACKOFF_CAP_MINUTES", 60)
VORONKA_WEBHOOK_PAUSE_AFTER = env_int("VORONKA_WEBHOOK_PAUSE_AFTER", 10)
# Public web forms (/forms/<slug>/): posts per IP per minute, seconds a person needs at least, page age limit.
VORONKA_FORM_RATE_PER_MINUTE = env_int("VORONKA_FORM_RATE_PER_MINUTE", 10)
VORONKA_FORM_MIN_FILL_SECONDS = env_int("VORONKA_FORM_MIN_FILL_SECONDS", 3)
VORONKA_FORM_TOKEN_MAX_AGE_SECONDS = env_int("VORONKA_FORM_TOKEN_MAX_AGE_SECONDS", 24 * 3600)
# Telephony webhook (/integrations/telephony/<token>/): the accepted secret tokens (comma-separated, so that a
# new one can be added before the old one is removed), the pipeline (slug) of leads from unknown numbers (default:
# the first active inbound pipeline), who gets them when the operator is unknown (username or email), and the
# operators' extensions ("101=anna@example.ru,102=ivan").
VORONKA_TELEPHONY_TOKENS = [t for t in env_list("VORONKA_TELEPHONY_TOKENS") if t]
VORONKA_TELEPHONY_PIPELINE = env_str("VORONKA_TELEPHONY_PIPELINE", "")
VORONKA_TELEPHONY_ASSIGNEE = env_str("VORONKA_TELEPHONY_ASSIGNEE", "")
VORONKA_TELEPHONY_EXTENSIONS = env_str("VORONKA_TELEPHONY_EXTENSIONS", "")
# Mailbox capture (``voronka tick`` polls it): the IMAP server (SSL by default), its account and folder; the
# pipeline (slug) and the manager (username or email) of leads from unknown senders; messages per pass.
VORONKA_IMAP_HOST = env_str("VORONKA_IMAP_HOST", "")
VORONKA_IMAP_SSL = env_bool("VORONKA_IMAP_SSL", True)
VORONKA_IMAP_PORT = env_int("VORONKA_IMAP_PORT", 993 if VORONKA_IMAP_SSL else 143)
VORONKA_IMAP_USER = env_str("VORONKA_IMAP_USER", "")
VORONKA_IMAP_PASSWORD = env_str("VORONKA_IMAP_PASSWORD", "")
VORONKA_IMAP_FOLDER = env_str("VORONKA_IMAP_FOLDER", "INBOX")
VORONKA_IMAP_TIMEOUT_SECONDS = env_int("VORONKA_IMAP_TIMEOUT_SECONDS", 30)
VORONKA_IMAP_BATCH = env_int("VORONKA_IMAP_BATCH", 50)
VORONKA_MAIL_PIPELINE = env_str("VORONKA_MAIL_PIPELINE", "")
VORONKA_MAIL_ASSIGNEE = env_str("VORONKA_MAIL_ASSIGNEE", "")
# Reports: a drop of at least this many percent from one week/month to the next is a dip.
VORONKA_DIP_THRESHOLD_PCT = env_int("VORONKA_DIP_THRESHOLD_PCT", 30)
# API: requests per minute per token (or signed-in user); 0 switches the limit off. Use a shared cache
# (CACHE_URL=redis://...) with several processes, else each process counts on its own.
VORONKA_API_RATE_PER_MINUTE = env_int("VORONKA_API_RATE_PER_MINUTE", 600)
# Exact-match lookups that name a colleague's client (search, quick add): per user and hour; 0 = no limit.
VORONKA_FOREIGN_LOOKUPS_PER_HOUR = env_int("VORONKA_FOREIGN_LOOKUPS_PER_HOUR", 100)
# An import batch "running" without progress for this long was left by a dead worker: it may be run again.
VORONKA_IMPORT_STALE_SECONDS = env_int("VORONKA_IMPORT_STALE_SECONDS", 300)
VORONKA_API_PAGE_MAX = 200

LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'plain' or 'json'")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "voronka.core.logging.PlainFormatter"},
        "json": {"()": "voronka.core.logging.JsonFormatter"},
    },
    "filters": {"no_4xx_traceback": {"()": "voronka.web.errors.NoTracebackFor4xx"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["no_4xx_traceback"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {"voronka": {"level": env_str("LOG_LEVEL", "INFO"), "propagate": True}},
}
