"""KetaCare settings, driven by the environment (see README "Configuration")."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent  # the ketacare package
VAR_DIR = Path(env_str("KETACARE_VAR_DIR", str(Path.cwd() / "var")))

DEBUG = env_bool("KETACARE_DEBUG", False)


def _kept_secret(variable: str, filename: str) -> str:
    """A key from the environment; without one, a random key kept in var/ so it survives
    restarts of a local install. Never a key committed to the repository."""
    key = env_str(variable, "")
    if key:
        return key
    path = VAR_DIR / filename
    if path.exists():
        return path.read_text().strip()
    try:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{variable} is not set and {path} cannot be written: {exc}"
        ) from exc
    return path.read_text().strip()


SECRET_KEY = _kept_secret("KETACARE_SECRET_KEY", "secret_key")
# Keys the audit and ledger hash chains (docs/audit.md). Keep a copy off this machine: without
# it the chains cannot be verified; anyone holding it could forge them.
KETACARE_AUDIT_KEY = _kept_secret("KETACARE_AUDIT_KEY", "audit_key")
ALLOWED_HOSTS = env_list("KETACARE_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("KETACARE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Django's admin behind superuser + two-factor, audited; mounted only when
    # KETACARE_DJANGO_ADMIN is true (config/urls.py).
    "ketacare.accounts.admin_apps.KetaCareAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # two-factor recovery codes
    "ketacare.web",
    "ketacare.accounts",
    "ketacare.audit",
    "ketacare.patients",
    "ketacare.calculator",
    "ketacare.pkexplorer",
    "ketacare.ledger",
    "ketacare.treatment",
    "ketacare.rems",
    "ketacare.selfreport",
    "ketacare.interop",
    "ketacare.analytics",
    "ketacare.consent",
    "ketacare.demo",  # `ketacare demo`: no models
]

MIDDLEWARE = [
    # Outermost: /api/v1 and /fhir errors in the client's format, whatever raised them,
    # and a patient's page that fails anywhere below gets a calm page with crisis text.
    "ketacare.interop.errors.ClientFormatMiddleware",
    "ketacare.selfreport.errors.PublicErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "ketacare.accounts.middleware.StaffMiddleware",
    # After StaffMiddleware: the idle timeout is the active clinic's.
    "ketacare.accounts.middleware.SessionSafetyMiddleware",
    # After OTPMiddleware and StaffMiddleware: the code step and the clinic's 2FA policy.
    "ketacare.accounts.middleware.TwoFactorMiddleware",
    # One audit entry for every response showing a patient, and for every refused attempt.
    "ketacare.audit.reads.ReadAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so it sees failed sign-ins after every other middleware has run.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ketacare.config.urls"
WSGI_APPLICATION = "ketacare.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketacare.web.context.product",
            ],
        },
    },
]

# DATABASE_URL selects the engine: sqlite:///path (default, under var/) or
# postgres://user@host:5432/name. Anything else fails here, not at the first query.
_DEFAULT_DB = f"sqlite:///{VAR_DIR / 'ketacare.sqlite3'}"
_db_url = env_str("DATABASE_URL", _DEFAULT_DB)
try:
    # Health checks: after a database restart a kept connection is tested (and replaced)
    # before a request uses it, instead of failing that request.
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60,
                                                  conn_health_checks=True)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
_pg_prepare = env_bool("KETACARE_PG_PREPARE", True)  # read always: a bad value stops start-up
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The embedded default serves a small clinic's concurrent staff (docs/reliability.md):
    # WAL lets readers run while one writer commits; IMMEDIATE takes the write lock when a
    # transaction starts, so a transaction that read first never fails to upgrade (a
    # deferred one gets "database is locked" at once, whatever the timeout); the timeout
    # (seconds) is how long a writer waits its turn before that error.
    # Writers of one process queue in order instead of polling (ketacare/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "ketacare.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("KETACARE_SQLITE_TIMEOUT_S", 30),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    }
    # Tests get a file next to it, not Django's in-memory default: with an in-memory
    # database the browser tests' live server runs its requests on the test thread's
    # connection object, and a request served while the test thread uses it fails at
    # random (tests/reliability/test_live_server_connection.py).
    _db_file = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {"NAME": str(_db_file.with_name(f"test_{_db_file.name}"))}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _pg_prepare:
    # Parameters bound on the server, and psycopg prepares a query once it has run five
    # times on a connection (Django leaves preparing off unless told): PostgreSQL then
    # skips parsing and planning it, most of its time on the chart, session-day and FHIR
    # queries (docs/performance.md). Set KETACARE_PG_PREPARE=false behind a pooler that cannot
    # keep prepared statements (PgBouncer in transaction mode before 1.21).
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 first (OWASP's recommended password hash); the others only verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # lockout first: refuses before checking
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: lock a username at one address after repeated failures.
AXES_FAILURE_LIMIT = env_int("KETACARE_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KETACARE_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Two-factor sign-in (django-otp TOTP; accounts/two_factor.py). The issuer is the name
# authenticator apps show; the admin never shows a device's key.
OTP_TOTP_ISSUER = "KetaCare"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

KETACARE_DJANGO_ADMIN = env_bool("KETACARE_DJANGO_ADMIN", False)
# Set-password links (invitations, `ketacare setup`, forgotten password) expire after 24 h.
PASSWORD_RESET_TIMEOUT = 24 * 3600

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: each clinic's setting `session_idle_minutes` (default this), measured from
# the session's last touch, written at most once a KETACARE_SESSION_TOUCH_SECONDS
# (accounts/middleware.py), not on every request. The stored session lives the absolute
# lifetime past its last touch, so a clinic may choose a longer idle time than the default.
KETACARE_SESSION_IDLE_SECONDS = env_int("KETACARE_SESSION_IDLE_MIN", 30) * 60
SESSION_SAVE_EVERY_REQUEST = False
KETACARE_SESSION_TOUCH_SECONDS = env_int("KETACARE_SESSION_TOUCH_SECONDS", 60)
KETACARE_SESSION_ABSOLUTE_SECONDS = env_int("KETACARE_SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_COOKIE_AGE = KETACARE_SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("KETACARE_SECURE_COOKIES", False)  # true behind HTTPS
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if SECURE_COOKIES:  # served over HTTPS (docs/deployment-security.md)
    SECURE_HSTS_SECONDS = env_int("KETACARE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KETACARE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("KETACARE_HSTS_PRELOAD", False)
    SECURE_SSL_REDIRECT = env_bool("KETACARE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^health$"]  # load balancers probe over plain HTTP
# Behind a TLS-terminating proxy: the header it sets, e.g. X-Forwarded-Proto. Only set this
# when the proxy always overwrites that header (a client could otherwise claim HTTPS).
_PROXY_HEADER = env_str("KETACARE_PROXY_SSL_HEADER", "")
if _PROXY_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_HEADER.upper().replace("-", "_"), "https")
X_FRAME_OPTIONS = "DENY"

# Everything is served from the app itself: no CDN, the machines may be offline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Email: console by default (demo); SMTP or file backends through the environment.
EMAIL_BACKEND = env_str("KETACARE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("KETACARE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("KETACARE_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("KETACARE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("KETACARE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("KETACARE_EMAIL_TLS", False)
# Seconds before an unanswering mail server counts as a failed delivery (retried later).
EMAIL_TIMEOUT = env_int("KETACARE_EMAIL_TIMEOUT_S", 20)
EMAIL_FILE_PATH = env_str("KETACARE_EMAIL_FILE_PATH", str(VAR_DIR / "email"))
DEFAULT_FROM_EMAIL = env_str("KETACARE_FROM_EMAIL", "KetaCare <no-reply@localhost>")

# Patient self-report (selfreport app). Links in messages start with the base URL.
KETACARE_BASE_URL = env_str("KETACARE_BASE_URL", "http://localhost:8000")
KETACARE_SMS_BACKEND = env_str("KETACARE_SMS_BACKEND",
                               "ketacare.selfreport.delivery.ConsoleSmsBackend")
KETACARE_SMS_FILE_PATH = env_str("KETACARE_SMS_FILE_PATH", str(VAR_DIR / "sms"))
# Clinic settings override each of these (keys selfreport_*; see selfreport/config.py).
KETACARE_SELFREPORT_CRISIS_TEXT = env_str(
    "KETACARE_SELFREPORT_CRISIS_TEXT",
    "If you are in crisis or thinking about suicide, call or text 988 (Suicide & Crisis "
    "Lifeline, US) or call 911.",
)
KETACARE_SELFREPORT_REVIEW_TIME = env_str("KETACARE_SELFREPORT_REVIEW_TIME",
                                          "within one business day")
KETACARE_SELFREPORT_ESCALATE_MINUTES = env_int("KETACARE_SELFREPORT_ESCALATE_MINUTES", 60)
KETACARE_SELFREPORT_REMINDER_HOURS = env_int("KETACARE_SELFREPORT_REMINDER_HOURS", 24)
KETACARE_SELFREPORT_REMINDERS = env_int("KETACARE_SELFREPORT_REMINDERS", 3)
KETACARE_SELFREPORT_GRACE_DAYS = env_int("KETACARE_SELFREPORT_GRACE_DAYS", 2)
# After submitting, the same browser may reload its thank-you page (and own progress) for
# this long; after that, and from any other browser, a used link shows a neutral page.
KETACARE_SELFREPORT_PROGRESS_MINUTES = env_int("KETACARE_SELFREPORT_PROGRESS_MINUTES", 15)

# Research export, shifted-dates mode: the key of each patient's stable date shift
# (interop/research.py). Unset, the secret key is used; set it to keep shifts stable when
# the secret key is rotated.
KETACARE_EXPORT_SHIFT_KEY = env_str("KETACARE_EXPORT_SHIFT_KEY", "")

# In-process memory, never a file or table: cached entries may hold patient data (chart
# pictures). Per worker process; a restart empties them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Rendered chart pictures by spec hash (ketacare/charts): tens of kB each.
    "charts": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
               "LOCATION": "charts", "TIMEOUT": env_int("KETACARE_CHART_CACHE_S", 3600),
               "OPTIONS": {"MAX_ENTRIES": env_int("KETACARE_CHART_CACHE_ENTRIES", 500)}},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # stored UTC; shown in each clinic's zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Compressed, not manifest-hashed: pages render before collectstatic has run.
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
# Tests and `ketacare serve` before collectstatic: serve straight from the app folders.
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line passes the filter: /r/<token> paths are written as /r/#<6 hash chars>.
    "filters": {"redact_links": {"()": "ketacare.web.log_redaction.RedactLinks"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_links"]}},
    "root": {"handlers": ["console"], "level": env_str("KETACARE_LOG_LEVEL", "INFO")},
    # django-axes logs every attempt at INFO; lockouts still show at WARNING.
    # runserver's request lines go through the same filtered handler.
    "loggers": {"axes": {"level": "WARNING"},
                "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
