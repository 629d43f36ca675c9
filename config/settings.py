"""The only settings module. Everything that differs between machines comes from the
environment (see .env.example); nothing here needs editing to deploy."""

import importlib.util
import os
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_secret, env_str, load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# `make run` writes .env on first start; tests set DOTENV_PATH empty so a developer's .env
# never leaks into the suite. Loaded before any other setting is read, so each of them
# (VAR_DIR too) can come from it.
_dotenv = env_str("DOTENV_PATH", str(BASE_DIR / ".env"))
if _dotenv:
    load_dotenv(Path(_dotenv))

VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

# --- Secrets ---------------------------------------------------------------------------
SECRET_KEY = env_secret("SECRET_KEY")
CREDENTIALS_KEYS = [k.strip() for k in env_secret("CREDENTIALS_KEYS").split(",") if k.strip()]

_missing = [
    name
    for name, value in (("SECRET_KEY", SECRET_KEY), ("CREDENTIALS_KEYS", CREDENTIALS_KEYS))
    if not value
]
if _missing and not DEBUG:
    raise ImproperlyConfigured(
        f"{' and '.join(_missing)} must be set when DEBUG is off. "
        "See .env.example; generate a credentials key with "
        "`python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'`."
    )
if not SECRET_KEY:
    SECRET_KEY = "insecure-development-key-never-use-in-production"
if not CREDENTIALS_KEYS:
    # DEBUG only: a fixed development key, so local data survives restarts.
    CREDENTIALS_KEYS = ["E72ISyPOGjzJLeFrRnL9kGbZuoBRvEf9UmnX4uxwwNc="]
for _position, _key in enumerate(CREDENTIALS_KEYS, start=1):
    try:
        Fernet(_key)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            f"CREDENTIALS_KEYS entry {_position} is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from None

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Applications ----------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "template_partials",
    "accounts",
    "integrations",
    "mappings",
    "alerts",
    "diagnostics",
    "sync",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.workspaces",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'contactbridge.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE transactions + WAL let the web process and the worker share the file
        # without "database is locked" on concurrent writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a Celery worker process started by a test sees the same data
    # (tests hand it the path). One file per test run, so runs sharing a checkout never share
    # a database; TEST_DB_NAME names it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(VAR_DIR / env_str("TEST_DB_NAME", f"test-contactbridge-{os.getpid()}.sqlite3"))
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

_cache_url = env_str("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Accounts (django-allauth) -------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional")
# Sign-up, password reset and sign-in never say whether an address has an account. allauth can
# only keep that promise at sign-up when verification is mandatory; our sign-up form asks every
# new address to confirm itself before signing in, whatever this setting (accounts/forms.py).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_SIGNUP_OPEN = env_bool("SIGNUP_OPEN", False)
# allauth's defaults, written out so they are visibly on: failed logins per IP and per e-mail.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ContactBridge"

# --- E-mail -------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")

# --- Metrics -----------------------------------------------------------------------------------
# Bearer token for GET /metrics (Prometheus); empty: the endpoint answers 404.
METRICS_TOKEN = env_secret("METRICS_TOKEN")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ContactBridge <noreply@localhost>")

# --- Security -----------------------------------------------------------------------------
_secure_cookies = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = _secure_cookies
CSRF_COOKIE_SECURE = _secure_cookies
SESSION_COOKIE_HTTPONLY = True
_behind_https_proxy = env_bool("BEHIND_HTTPS_PROXY", False)
if _behind_https_proxy:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind the TLS proxy: plain http is redirected and browsers are told to use https only (HSTS,
# a year by default). /health/ stays reachable over plain http for load-balancer probes.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _behind_https_proxy)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _behind_https_proxy else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading commits the whole registered domain to https in every browser, for months; only
# its owner can decide that, so it is opt-in and Django's reminder (W021) is silenced.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): scripts, styles and everything else from this site
# only; htmx and our JS are static files, templates carry no inline script, event handler or
# style attribute. allauth's TOTP QR code is a data: image. No form-action: the OAuth wizard's
# form is answered by a redirect to the provider, which form-action 'self' would block.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    },
}
# Error pages and error e-mails never show credentials, signing keys or tokens, DEBUG or not.
DEFAULT_EXCEPTION_REPORTER = "integrations.redaction.SecretSafeExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "integrations.redaction.SecretSafeExceptionReporterFilter"

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded default: messages are files, so `make run` needs no broker server.
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Two queues besides the default: "bulk" for whole-flow runs (backfills, polls, schedules),
# "realtime" for webhook changes, retries and the beats; the Procfile runs a worker for each
# (the realtime one also takes the default "celery" queue), so a backfill never delays a
# change. The filesystem broker needs nothing more: its queues are file names.
CELERY_TASK_ROUTES = {
    "sync.tasks.run_flow": {"queue": "bulk"},
    "sync.tasks.reconcile_run": {"queue": "bulk"},
    "sync.tasks.drift_resync_run": {"queue": "bulk"},
    "sync.tasks.*": {"queue": "realtime"},
}
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "diagnostics.tasks.worker_heartbeat_record", "schedule": 60.0},
    "api-calls-roll-up": {"task": "diagnostics.tasks.api_calls_roll_up", "schedule": 10 * 60.0},
    "api-calls-prune": {"task": "diagnostics.tasks.api_calls_prune", "schedule": 24 * 3600.0},
    "alert-rules-evaluate": {"task": "diagnostics.tasks.alert_rules_evaluate", "schedule": 60.0},
    "alert-deliveries-send": {"task": "diagnostics.tasks.alert_deliveries_send", "schedule": 60.0},
}

# --- Diagnostics --------------------------------------------------------------------------
# Every API call attempt becomes an ApiCall row (diagnostics.recorder); raw rows are kept this
# many days, their hourly rollups for good. Runs (with their records) are kept this many days.
DIAGNOSTICS_RECORD_CALLS = env_bool("DIAGNOSTICS_RECORD_CALLS", True)
DIAGNOSTICS_API_CALL_RETENTION_DAYS = env_int("DIAGNOSTICS_API_CALL_RETENTION_DAYS", 14)
SYNC_RUN_RETENTION_DAYS = env_int("SYNC_RUN_RETENTION_DAYS", 30)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)

# --- Integrations -------------------------------------------------------------------------
# Outbound requests to private or loopback addresses are refused unless this is on. The
# sandboxes live on 127.0.0.1, so development and tests turn it on; production leaves it off.
INTEGRATIONS_ALLOW_PRIVATE_IPS = env_bool("INTEGRATIONS_ALLOW_PRIVATE_IPS", False)
if INTEGRATIONS_ALLOW_PRIVATE_IPS:
    # The sandboxes speak plain http on 127.0.0.1; oauthlib refuses that unless told.
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
# Providers may grant fewer scopes than asked; we record and check the granted scopes ourselves.
os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
INTEGRATIONS_CONNECT_TIMEOUT = float(env_str("INTEGRATIONS_CONNECT_TIMEOUT", "5"))
INTEGRATIONS_READ_TIMEOUT = float(env_str("INTEGRATIONS_READ_TIMEOUT", "30"))
INTEGRATIONS_USER_AGENT = "ContactBridge/0.1 (+https://github.com/contactbridge)"
# Rate-limit budgets shared by all workers: Redis when there is one, else the database.
RATE_BUDGET_REDIS_URL = env_str(
    "RATE_BUDGET_REDIS_URL", _cache_url if _cache_url.startswith(("redis://", "rediss://")) else ""
)
# Webhooks older (or further in the future) than this are refused as replays.
WEBHOOK_MAX_AGE_SECONDS = env_int("WEBHOOK_MAX_AGE_SECONDS", 300)
# Webhooks that cannot prove their sender (Shift4Shop) are read back from the store by the
# worker: at most this many read-backs per store a minute, so forged posts cannot spend its API.
WEBHOOK_CONFIRMATIONS_PER_MINUTE = env_int("WEBHOOK_CONFIRMATIONS_PER_MINUTE", 30)
# HighLevel's published Ed25519 key (base64 SPKI); RSA keys for the legacy x-wh-signature are
# PEM or base64 SPKI. Keys set on a HighLevel connection are accepted for its location too.
HIGHLEVEL_WEBHOOK_PUBLIC_KEYS = env_list(
    "HIGHLEVEL_WEBHOOK_PUBLIC_KEYS",
    ["MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg="],
)
HIGHLEVEL_WEBHOOK_RSA_PUBLIC_KEYS = env_list("HIGHLEVEL_WEBHOOK_RSA_PUBLIC_KEYS")
SANDBOX_ENABLED = env_bool("SANDBOX_ENABLED", False)
# The sandboxes ship only in a source checkout (they are not in the built wheel). Their app
# brings `manage.py sandbox` and, when SANDBOX_ENABLED, registers each sandbox with the provider
# it imitates ("Use sandbox").
if importlib.util.find_spec("sandboxes") is not None:
    INSTALLED_APPS.append("sandboxes")
SANDBOX_URL = env_str("SANDBOX_URL", "http://127.0.0.1:8001").rstrip("/")

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "integrations.redaction.RedactingLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # urllib3 logs full request lines at DEBUG, query strings (and any key in them) included.
        "urllib3": {"level": "WARNING"},
        "requests_oauthlib": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
    },
}
