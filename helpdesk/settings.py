"""Settings for the helpdesk, read from the environment (every variable is in the README)."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import (
    env_allowed_networks,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
# Under pytest the development key and fast password hashing are allowed.
TESTING = env_bool("TESTING", default="pytest" in sys.modules)

_DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY, or DEBUG=true for local development."
        )
    SECRET_KEY = _DEVELOPMENT_SECRET_KEY
elif SECRET_KEY == _DEVELOPMENT_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("The development SECRET_KEY may only be used with DEBUG=true.")
# Former keys, while rotating: sessions and signed links made with them, and the sending domains'
# encrypted DKIM keys (channels_cfg/dkim.py), stay valid.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG or TESTING else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "anymail",
    # Login throttling (helpdesk/login_throttle.py) and the Content-Security-Policy header.
    "axes",
    "csp",
    "helpdesk",
    "channels_cfg",
    "inbox",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files with DEBUG=false too, compressed and cached for a year under hashed names.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "helpdesk.middleware.LoginRequiredMiddleware",
    # Last: turns a locked-out login into the login page saying so (helpdesk/login_throttle.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"
ASGI_APPLICATION = "helpdesk.asgi.application"

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
                "helpdesk.context_processors.workspace",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
# Connections are kept for a minute and checked before reuse, so that a web or worker process
# reconnects by itself after a database restart (workers: helpdesk/celery.py).
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    # A file, not memory, so that a Celery worker started by a test can share the test database;
    # one per process, so that concurrent test runs never meet.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
elif env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
    # Parameters bound on the server, and every statement a connection has run 5 times prepared:
    # PostgreSQL then skips planning it, most of the cost of the pipeline's small statements
    # (README, "Capacity"). Behind PgBouncer in transaction mode, use 1.21+ or set this false.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
    # A prepared statement may get one generic plan for all its parameters: right for the
    # pipeline's fixed statements, wrong for a search whose pattern decides the plan. Web
    # processes (helpdesk/wsgi.py) plan every query for its parameters.
    PLAN_CACHE_MODE = env_str("DATABASE_PLAN_CACHE_MODE", "auto")
    if PLAN_CACHE_MODE not in {"auto", "force_custom_plan", "force_generic_plan"}:
        raise ImproperlyConfigured(
            "DATABASE_PLAN_CACHE_MODE must be auto, force_custom_plan or force_generic_plan."
        )
    if PLAN_CACHE_MODE != "auto":
        DATABASES["default"]["OPTIONS"]["options"] = f"-c plan_cache_mode={PLAN_CACHE_MODE}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache ----------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery. Without REDIS_URL every task runs in-process (task_always_eager), so a laptop needs
# nothing but Python. With Redis: acks_late so a crashed worker's task is redelivered, time
# limits well under the broker's visibility timeout so a slow task is never delivered twice
# (docs/reliability.md, "Faults: database, broker, worker"), and bounded publish retries so a down
# broker fails fast; the
# inbound sweeper requeues whatever was stored but not queued.
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Keep it well above the task time limit; only drills shorten it (to see a redelivery soon).
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 60 * 60)
CELERY_CONFIG = {
    "broker_url": REDIS_URL or "memory://",
    "task_always_eager": not REDIS_URL,
    "task_eager_propagates": False,
    "task_ignore_result": True,
    "task_acks_late": True,
    "task_reject_on_worker_lost": False,
    "task_time_limit": CELERY_TASK_TIME_LIMIT,
    "task_soft_time_limit": CELERY_TASK_SOFT_TIME_LIMIT,
    "worker_prefetch_multiplier": 1,
    "broker_connection_retry_on_startup": True,
    # A worker waits out a broker outage of any length instead of exiting after 100 attempts.
    "broker_connection_max_retries": None,
    "broker_transport_options": {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT},
    "task_publish_retry": True,
    "task_publish_retry_policy": {
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    },
    "broker_connection_timeout": 2,
    "task_default_queue": env_str("CELERY_TASK_DEFAULT_QUEUE", "celery"),
    "beat_schedule": {},
    "timezone": "UTC",
}
TASK_MAX_RETRIES = env_int("TASK_MAX_RETRIES", 5)
# Small task calls made often (the pipeline's bell notifications) are buffered per process and
# published together, one publish per this many seconds (helpdesk/task_batches.py); a crash
# loses at most this window of them. 0: publish each at once.
TASK_BATCH_SECONDS = env_float("TASK_BATCH_SECONDS", 1.0)

# --- Auth ------------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox:index"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Logins are throttled by django-axes per username and client address together, counted in the
# database (shared by every web process, on SQLite and PostgreSQL alike); a success resets the
# count, the lock lifts after LOGIN_LOCKOUT_MINUTES (0: only an operator unlocks it) or earlier
# in the Django admin or with `manage.py axes_reset_username` (docs/reliability.md, "Guessing
# passwords").
AUTHENTICATION_BACKENDS = [
    "helpdesk.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
# Behind a proxy, the header it sets (and overwrites) with the client's address, e.g. X-Real-IP.
LOGIN_CLIENT_IP_HEADER = env_str("LOGIN_CLIENT_IP_HEADER", "")
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES) if LOGIN_LOCKOUT_MINUTES else None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "helpdesk.login_throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "helpdesk.login_throttle.lockout_response"
AXES_VERBOSE = False

# --- Hosted inbox domains --------------------------------------------------------------------
HOSTED_INBOX_DOMAIN = env_str("HOSTED_INBOX_DOMAIN", "inbox.localhost").lower()
HOSTED_INBOX_FREE_DOMAIN = env_str("HOSTED_INBOX_FREE_DOMAIN", "free.inbox.localhost").lower()
# The public origin of this install, used in links we mail out (verification links, owner-away mail).
# Unset, it is where `make run` serves: 127.0.0.1 on PORT.
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_str('PORT', '8000')}").rstrip("/")

# --- Email: outbound -------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "sent-mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"helpdesk@{HOSTED_INBOX_DOMAIN}")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Sending domains (Settings > Sending domains) -------------------------------------------
# The SPF include that authorises our sending host for a customer's domain (the ESP's, e.g.
# `mailgun.org` or `amazonses.com`, in production).
SENDING_SPF_INCLUDE = env_str("SENDING_SPF_INCLUDE", f"spf.{HOSTED_INBOX_DOMAIN}").lower()
# Nameservers Verify asks ("ip" or "ip:port", comma separated); empty: the system's resolvers.
DNS_RESOLVER_NAMESERVERS = env_list("DNS_RESOLVER_NAMESERVERS", [])
DNS_RESOLVER_TIMEOUT_SECONDS = env_float("DNS_RESOLVER_TIMEOUT_SECONDS", 3.0)

# --- anymail: inbound webhooks and ESP sending -----------------------------------------------
# ANYMAIL_WEBHOOK_SECRET is "user:password" (or several, comma separated, to rotate).
# Every other ANYMAIL_<NAME> variable becomes anymail's <NAME> setting, so any ESP that anymail
# supports is configured from the environment alone (ANYMAIL_POSTMARK_SERVER_TOKEN, ...).
ANYMAIL: dict[str, object] = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and key != "ANYMAIL_WEBHOOK_SECRET"
}
_webhook_secrets = env_list("ANYMAIL_WEBHOOK_SECRET", [])
if _webhook_secrets:
    ANYMAIL["WEBHOOK_SECRET"] = _webhook_secrets
_mailgun_signing_key = env_str("MAILGUN_WEBHOOK_SIGNING_KEY")
if _mailgun_signing_key:
    ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"] = _mailgun_signing_key
# anymail would confirm any SNS subscription that passes basic auth (docs/reliability.md, "SNS
# subscriptions").
ANYMAIL.setdefault("AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS", False)
# SNS topics whose notifications we accept (docs/reliability.md, "Amazon SES and SNS signatures").
AMAZON_SES_ALLOWED_TOPIC_ARNS = env_list("AMAZON_SES_ALLOWED_TOPIC_ARNS", [])

# --- Inbound limits --------------------------------------------------------------------------
INBOUND_MAX_MESSAGE_BYTES = env_int("INBOUND_MAX_MESSAGE_BYTES", 30 * 1024 * 1024)
# A 30 MB message is about 41 MB of MIME, and JSON payloads (Postmark with RawEmail) carry it
# twice; only the inbound routes are allowed bodies this large.
INBOUND_MAX_REQUEST_BYTES = env_int("INBOUND_MAX_REQUEST_BYTES", 100 * 1024 * 1024)
DEFAULT_SPAM_THRESHOLD = env_float("DEFAULT_SPAM_THRESHOLD", 5.0)
# Per-ESP client networks allowed to post inbound webhooks (inbox.webhooks.allowlist).
INBOUND_ALLOWED_NETWORKS = env_allowed_networks()
INBOUND_CLIENT_IP_HEADER = env_str("INBOUND_CLIENT_IP_HEADER", "")
# The ESPs (anymail's names: mailgun, postmark, amazon_ses, ...) whose inbound routes answer;
# every other one is a 404 (docs/reliability.md, "One secret per ESP, and only the ESPs we use").
# "*" (all) in development and tests; production must name them.
INBOUND_ESPS = [esp.lower() for esp in env_list("INBOUND_ESPS", ["*"] if DEBUG or TESTING else [])]
if not (DEBUG or TESTING) and not INBOUND_ESPS and "WEBHOOK_SECRET" in ANYMAIL:
    raise ImproperlyConfigured(
        "INBOUND_ESPS is not set: name the ESPs whose inbound webhooks you use (for example "
        "INBOUND_ESPS=mailgun); the others answer 404."
    )
# The image proxy never fetches from private, loopback or link-local addresses (SSRF); tests
# that serve images on 127.0.0.1 turn this on.
IMAGE_PROXY_ALLOW_PRIVATE_NETWORKS = False
# One image fetch as a whole (every redirect, header and body byte), its size, and how many one
# viewer may have in flight at once (over that: 429) (docs/reliability.md, "Remote images and
# tracking pixels").
IMAGE_PROXY_DEADLINE_SECONDS = env_float("IMAGE_PROXY_DEADLINE_SECONDS", 10.0)
IMAGE_PROXY_MAX_BYTES = env_int("IMAGE_PROXY_MAX_BYTES", 5 * 1024 * 1024)
IMAGE_PROXY_MAX_CONCURRENT = env_int("IMAGE_PROXY_MAX_CONCURRENT", 8)

# --- Files -----------------------------------------------------------------------------------
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    # The composer's rich-text editor (package.json): its ready browser build, no bundler.
    ("vendor/trix", BASE_DIR / "node_modules" / "trix" / "dist"),
]
# In production WhiteNoise serves what `collectstatic` wrote: compressed copies and hashed names
# (`app.3f1c2e.css`, cached for a year, a new name on every change). Development and tests use
# the plain storage, which needs no collectstatic (runserver and the test server use the finders).
STATICFILES_PRODUCTION = not (DEBUG or TESTING)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATICFILES_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if not STATICFILES_PRODUCTION:
    # WhiteNoise warns at start-up about a missing STATIC_ROOT; in production that warning is
    # wanted (collectstatic was not run), here nothing is collected.
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)

# --- Security headers ------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not (DEBUG or TESTING))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips a client's own), so that
# request.is_secure() and the URLs we build say https. Never on without such a proxy.
if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Every page's Content-Security-Policy (django-csp): our own scripts and stylesheets only, no
# inline script, style or eval (htmx is told so in base.html). Responses that set their own
# policy keep it (the image proxy, attachments); the thread page adds what its message frames
# need, since a srcdoc frame inherits this policy (inbox/rendering.py, docs/reliability.md,
# "Scripts on our own pages").
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Every handler redacts email addresses, whoever logs them (Celery's retry lines, tracebacks).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_addresses": {"()": "helpdesk.redaction.RedactAddressesFilter"},
        # A 403 we chose is one line with its reason, not a traceback (helpdesk/forbidden_logging.py).
        "expected_refusals_one_line": {"()": "helpdesk.forbidden_logging.ExpectedRefusalsOneLine"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_addresses"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["expected_refusals_one_line"]},
    },
}

# --- Intake: webhooks, ledger, sweeper -------------------------------------------------------
# Rows left in `received` this long (the broker was down, or the process died before its
# on-commit hook) are queued again by the sweeper; rows in `processing` wait at least the task
# time limit. Beat runs the sweeper every INBOUND_SWEEP_INTERVAL_SECONDS.
INBOUND_REQUEUE_AFTER_SECONDS = env_int("INBOUND_REQUEUE_AFTER_SECONDS", 120)
# After its own row, a processing task takes up to this many minus one other waiting rows
# (one claim statement for all of them; each still in its own transaction). 1 turns it off.
INBOUND_BATCH_SIZE = max(1, env_int("INBOUND_BATCH_SIZE", 16))
INBOUND_SWEEP_INTERVAL_SECONDS = env_int("INBOUND_SWEEP_INTERVAL_SECONDS", 60)
# ESPs (anymail names in lower case with "_": mailgun, postmark, sendgrid, ...) whose spam
# headers we trust because that ESP's own filter adds them; a sender can forge them anywhere
# else (docs/reliability.md, "Forged spam verdicts"). Amazon SES's JSON verdict is always the ESP's
# own.
INBOUND_SPAM_HEADERS_TRUSTED_ESPS = env_list("INBOUND_SPAM_HEADERS_TRUSTED_ESPS", [])
_beat_schedule = CELERY_CONFIG["beat_schedule"]
assert isinstance(_beat_schedule, dict)
_beat_schedule["inbox-sweep-inbound"] = {
    "task": "inbox.tasks.sweep_inbound",
    "schedule": float(INBOUND_SWEEP_INTERVAL_SECONDS),
}
_beat_schedule["channels-alert-quiet"] = {
    "task": "channels_cfg.alert_quiet_channels",
    "schedule": 60.0 * 60,
}
# --- end of intake ---------------------------------------------------------------------------
# --- Inbound pipeline ------------------------------------------------------------------------
# authserv-ids whose Authentication-Results we trust: our ESP's receiving hosts (RFC 8601).
# Any other A-R header in a message may have been written by its sender.
INBOUND_AUTHSERV_IDS = env_list(
    "INBOUND_AUTHSERV_IDS", ["mx.google.com", "amazonses.com", "mailgun.org", "mx.postmarkapp.com"]
)
# ARC sealers whose forwarding we believe when DMARC fails after a forward (RFC 8617).
INBOUND_TRUSTED_ARC_SEALERS = env_list(
    "INBOUND_TRUSTED_ARC_SEALERS", ["google.com", "microsoft.com", "outlook.com", "icloud.com"]
)
# --- end inbound pipeline --------------------------------------------------------------------
# --- The agents' inbox ------------------------------------------------------------------------
# The most a reply's attachments may weigh together (the composer refuses more).
INBOX_MAX_ATTACHMENTS_BYTES = env_int("INBOX_MAX_ATTACHMENTS_BYTES", 10 * 1024 * 1024)
# Replies left "sending" this long with no task on them (the broker was down when they were
# stored, or their on-commit hook was lost) are queued again by the outbound sweeper, which
# beat runs every OUTBOUND_SWEEP_INTERVAL_SECONDS (docs/reliability.md, "Replies while the
# broker is down").
OUTBOUND_REQUEUE_AFTER_SECONDS = env_int("OUTBOUND_REQUEUE_AFTER_SECONDS", 60)
OUTBOUND_SWEEP_INTERVAL_SECONDS = env_int("OUTBOUND_SWEEP_INTERVAL_SECONDS", 30)
_beat_schedule["inbox-sweep-outbound"] = {
    "task": "inbox.tasks.sweep_outbound",
    "schedule": float(OUTBOUND_SWEEP_INTERVAL_SECONDS),
}
# Snoozed threads come back when their time comes: beat looks for due ones every minute.
_beat_schedule["inbox-wake-snoozed"] = {"task": "inbox.tasks.wake_snoozed", "schedule": 60.0}
# Workspaces that close conversations left waiting on the contact: checked every hour.
_beat_schedule["inbox-close-waiting"] = {"task": "inbox.tasks.close_waiting", "schedule": 3600.0}
# --- end of the agents' inbox -----------------------------------------------------------------
# Celery's Django fixup closes the database connection after every task unless this is set,
# which costs a reconnect per inbound message; close only every 2 x this many tasks.
CELERY_CONFIG["CELERY_DB_REUSE_MAX"] = env_int("CELERY_DB_REUSE_MAX", 100)
