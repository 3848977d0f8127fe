"""Settings read from the environment; the embedded default is a SQLite file under var/."""

import secrets
from pathlib import Path

import dj_database_url
from django.utils.log import DEFAULT_LOGGING

from .env import PROBLEMS, env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("SYNTHGOV_VAR_DIR", str(BASE_DIR / "var"), shown_default="var/ in the checkout"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _dev_secret_key() -> str:
    """A per-checkout key kept under var/ (never in the repository)."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY", shown_default="a random key kept in var/secret_key") or _dev_secret_key()
# Off unless turned on: `make run` and the demo turn it on; production leaves it off.
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Behind TLS (SYNTHGOV_HTTPS=1): secure cookies, redirect to https, HSTS; `manage.py check --deploy`
# is clean with DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and this set.
SYNTHGOV_HTTPS = env_bool("SYNTHGOV_HTTPS", False)
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SYNTHGOV_HTTPS
HSTS_SECONDS = env_int("SYNTHGOV_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_SECONDS = HSTS_SECONDS if SYNTHGOV_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = SYNTHGOV_HTTPS
# Load balancers and orchestrators probe over plain HTTP inside the network: /health/ answers them
# rather than redirecting to https (it carries no secret; /metrics, which takes a token, is redirected).
SECURE_REDIRECT_EXEMPT = [r"^health/"]
if env_bool("SYNTHGOV_BEHIND_PROXY", False):
    # A reverse proxy that terminates TLS says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "django_q",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "synthgov.apps.SynthgovConfig",
    "tenants_app",
    "templates_app",
    "jobs_app",
    "qa_app",
    "collections_app",
    "webhooks_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Request latency by resolved view, for /metrics (synthgov/metrics.py); nothing when metrics are off.
    "synthgov.metrics.RequestMetricsMiddleware",
    # One log line per refused request (403), with who and why; see LOGGING below.
    "synthgov.request_log.RefusalLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "synthgov.urls"
WSGI_APPLICATION = "synthgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "synthgov" / "templates"],
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


def database_from_url(url: str) -> dict:
    # Connections are kept for a minute and checked before reuse: one the server closed meanwhile
    # (restart, failover, pg_terminate_backend, an idle timeout) is replaced instead of failing the
    # next request or task with OperationalError. django-q2 workers call close_old_connections()
    # before each task, which is when the check is armed.
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Several writers (runserver + q2 workers) share one file: WAL lets readers
        # proceed during a write, IMMEDIATE takes the write lock up front so a
        # transaction never fails half-way on lock upgrade, and the timeout waits
        # for the lock instead of raising "database is locked".
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASES = {
    "default": database_from_url(
        env_str(
            "DATABASE_URL", f"sqlite:///{VAR_DIR / 'synthgov.sqlite3'}", shown_default="sqlite:///var/synthgov.sqlite3"
        )
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = Path(env_str("SYNTHGOV_MEDIA_ROOT", str(VAR_DIR / "media"), shown_default="var/media"))
MEDIA_URL = "media/"

LOGIN_URL = "admin:login"

Q_LOG_LEVEL = env_choice("Q_LOG_LEVEL", "WARNING", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))

# How long work may take, and when it counts as lost. These bounds must agree (synthgov/checks.py
# refuses to start otherwise); each can be set from the environment.
#
#   SYNTHGOV_BATCH_MAX_SECONDS  <  SYNTHGOV_SHARD_STALE_SECONDS
#   SYNTHGOV_BATCH_MAX_SECONDS  <  Q_CLUSTER timeout  <  Q_CLUSTER retry
#
# - SYNTHGOV_BATCH_MAX_SECONDS: the longest one batch of a shard may take (generate, validate and
#   commit SYNTHGOV_GENERATION_BATCH_SIZE records). A running shard writes its heartbeat once per batch.
#   The template generator needs well under a second per batch of 500. An openai profile's worst case
#   is about LLM_ROUNDS_PER_BATCH (4) x (max_retries + 1) x timeout_seconds, twice with a judge: keep
#   it below this bound, or raise the bound together with the stale seconds.
# - SYNTHGOV_SHARD_STALE_SECONDS: a shard silent this long lost its worker (killed, or its queued task
#   was lost with a cluster); the sweep (every minute) queues it again and it resumes from its last
#   committed batch. Must exceed the longest batch, or the sweep hands a live worker's shard to a
#   second worker (harmless, as only one commits each batch, but the work is done twice).
# - Q_CLUSTER timeout (Q_TIMEOUT): the longest one task (one shard) may run before its worker is
#   killed; the shard then resumes through the sweep. Must exceed the longest batch, or a shard
#   would never commit a batch.
# - Q_CLUSTER retry (Q_RETRY): the ORM broker hands a task to another cluster if it was not
#   acknowledged after this long. Must exceed the timeout, or a running task is started twice.
#   A SIGKILLed cluster keeps its prefetched tasks locked this long, which is why the sweep, not the
#   broker, resumes lost shards.
# - SYNTHGOV_SHARD_QUICK_RETRIES: a shard that meets a transient database or broker fault is queued
#   again at once while it has been attempted at most this many times; then the sweep takes over.
SYNTHGOV_BATCH_MAX_SECONDS = env_int("SYNTHGOV_BATCH_MAX_SECONDS", 240, minimum=1)
SYNTHGOV_SHARD_STALE_SECONDS = env_int("SYNTHGOV_SHARD_STALE_SECONDS", 300, minimum=1)
SYNTHGOV_SHARD_QUICK_RETRIES = env_int("SYNTHGOV_SHARD_QUICK_RETRIES", 3, minimum=0)

Q_CLUSTER = {
    "name": "synthgov",
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    "timeout": env_int("Q_TIMEOUT", 1800, minimum=1),
    "retry": env_int("Q_RETRY", 1900, minimum=1),
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 1000,
    "poll": 0.5,
    "label": "Django Q2",
    # INFO is a few lines a minute from the scheduler alone; warnings, errors and failed tasks remain.
    "log_level": Q_LOG_LEVEL,
}
if env_bool("SYNTHGOV_Q_SYNC", False):
    # Tasks run inline in the calling process, through django-q2's own machinery.
    Q_CLUSTER["sync"] = True
if REDIS_URL := env_str("REDIS_URL", shown_default="(unset: the database is the broker)"):
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Collections: pair ids per committed range of an "add all approved pairs matching a filter" fill.
SYNTHGOV_FILL_CHUNK_IDS = env_int("SYNTHGOV_FILL_CHUNK_IDS", 20_000, minimum=1)

# Generation
SYNTHGOV_GENERATION_BATCH_SIZE = env_int("SYNTHGOV_GENERATION_BATCH_SIZE", 500, minimum=1)
SYNTHGOV_MAX_RECORD_COUNT = 1_000_000
# Validation and scoring of generated records (jobs_app/validation). PII: "flag" keeps the pair
# with flags, "reject" makes it a rejected artifact (reason "pii").
SYNTHGOV_PII_ACTION = env_choice("SYNTHGOV_PII_ACTION", "flag", ("flag", "reject"))
SYNTHGOV_MIN_ANSWER_CHARS = 1
# Longest question, answer or context, in characters: operator pairs, edits, promotions and
# generated records (longer ones are rejected artifacts, reason "too_long"). synthgov/text_limits.py
SYNTHGOV_MAX_TEXT_CHARS = env_int("SYNTHGOV_MAX_TEXT_CHARS", 100_000, minimum=1)
# Imports (qa_app/imports/): server-side files are read only from under this directory (uploads
# are kept under MEDIA_ROOT/imports/); a JSON line longer than this is a line error, never read whole.
SYNTHGOV_IMPORT_DIR = Path(env_str("SYNTHGOV_IMPORT_DIR", str(VAR_DIR / "imports"), shown_default="var/imports"))
SYNTHGOV_IMPORT_MAX_LINE_BYTES = env_int("SYNTHGOV_IMPORT_MAX_LINE_BYTES", 1_000_000, minimum=1)
SYNTHGOV_IMPORT_BATCH_SIZE = env_int("SYNTHGOV_IMPORT_BATCH_SIZE", 2_000, minimum=1)
SYNTHGOV_NEAR_DUPLICATE_THRESHOLD = 0.85
SYNTHGOV_NEAR_DUPLICATE_NUM_PERM = 128
# Language detection judges only text with this many letters, and flags only a confident verdict.
SYNTHGOV_LOCALE_MIN_CHARS = 40
SYNTHGOV_LOCALE_MIN_CONFIDENCE = 0.9
# Jobs longer than this are split into shards of at most this many records, one q2 task each,
# so several workers (on several machines) share a job.
SYNTHGOV_GENERATION_SHARD_SIZE = env_int("SYNTHGOV_GENERATION_SHARD_SIZE", 50_000, minimum=1)
# SYNTHGOV_SHARD_STALE_SECONDS: see the block above Q_CLUSTER.
# Change reasons (reject, reopen, ...) are kept whole in the history, not cut at 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# Past versions are shown, never restored by hand: changes go through the services
# (synthgov.admin_tools.GovernedHistoryAdmin refuses the POST; this hides the button).
SIMPLE_HISTORY_REVERT_DISABLED = True
# Four eyes: a version's author may not publish it.
SYNTHGOV_FOUR_EYES = env_bool("SYNTHGOV_FOUR_EYES", True)
# How long opening a pair in the review queue keeps it for that reviewer (README "Reviewing").
SYNTHGOV_REVIEW_CLAIM_SECONDS = env_int("SYNTHGOV_REVIEW_CLAIM_SECONDS", 300, minimum=10)
# Largest rendered field, in characters; a careless template cannot fill memory.
SYNTHGOV_MAX_RENDERED_CHARS = 64 * 1024
# The secure template profile: only whitelisted filters and tests, no import, macro or call,
# read-only lists and dicts, and a bounded syntax tree (templates_app/rendering). include/extends by
# template key are allowed; the node and depth bounds apply to each referenced template and to the
# composition as a whole.
SYNTHGOV_TEMPLATE_SECURE_PROFILE = True
SYNTHGOV_TEMPLATE_MAX_NODES = 2000
SYNTHGOV_TEMPLATE_MAX_DEPTH = 20
# Loop iterations per rendered field, counted across nested loops; bounded with or without the profile.
SYNTHGOV_TEMPLATE_MAX_LOOP_ITERATIONS = 10_000

# Webhooks (webhooks_app; README "Webhooks"). The public base URL makes the API links in payloads
# absolute (e.g. https://synthgov.example.org); empty: payloads carry paths.
SYNTHGOV_PUBLIC_URL = env_str("SYNTHGOV_PUBLIC_URL", "", shown_default="(empty: API paths)")
# Receivers on the server's own loopback (127.0.0.0/8, ::1) or on private ranges are refused unless
# allowed; link-local, unspecified, multicast and reserved addresses always are.
SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK = env_bool("SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK", False)
SYNTHGOV_WEBHOOK_ALLOW_PRIVATE = env_bool("SYNTHGOV_WEBHOOK_ALLOW_PRIVATE", False)
SYNTHGOV_WEBHOOK_TIMEOUT_SECONDS = env_int("SYNTHGOV_WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
# Retry n+1 comes RETRY_SECONDS x 2^(n-1) after attempt n, at most RETRY_MAX_SECONDS; the delivery is
# given up after MAX_ATTEMPTS (defaults: the last attempt about 24 h after the event).
SYNTHGOV_WEBHOOK_RETRY_SECONDS = env_int("SYNTHGOV_WEBHOOK_RETRY_SECONDS", 30, minimum=1)
SYNTHGOV_WEBHOOK_RETRY_MAX_SECONDS = env_int("SYNTHGOV_WEBHOOK_RETRY_MAX_SECONDS", 4 * 3600, minimum=1)
SYNTHGOV_WEBHOOK_MAX_ATTEMPTS = env_int("SYNTHGOV_WEBHOOK_MAX_ATTEMPTS", 15, minimum=1)
# An endpoint whose deliveries were given up this many times in a row is disabled (0: never).
SYNTHGOV_WEBHOOK_DISABLE_AFTER_GIVEN_UP = env_int("SYNTHGOV_WEBHOOK_DISABLE_AFTER_GIVEN_UP", 3, minimum=0)
# Deliveries the every-minute sweep queues at most per run.
SYNTHGOV_WEBHOOK_SWEEP_LIMIT = 1000

# REST API (v1): token or session auth; every view checks the model permissions services check too.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["synthgov.api.permissions.ModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "synthgov.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "synthgov.api.exceptions.exception_handler",
    # Refuse NUL characters, over-deep JSON and over-large JSON bodies with a 400 naming the field.
    "DEFAULT_PARSER_CLASSES": [
        "synthgov.api.parsers.JSONParser",
        "synthgov.api.parsers.FormParser",
        "synthgov.api.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
}
# Deepest JSON the API accepts in a body or a JSON field (levels of objects and arrays).
SYNTHGOV_MAX_JSON_DEPTH = env_int("SYNTHGOV_MAX_JSON_DEPTH", 64, minimum=2)
SPECTACULAR_SETTINGS = {
    "TITLE": "synthgov API",
    "DESCRIPTION": "Govern synthetic training data: templates, generation jobs, QA pairs, collections, releases.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "HistoryTypeEnum": "synthgov.api.history.HISTORY_TYPES",
        # Choice sets that several fields share get one name each (else drf-spectacular numbers them).
        "DecisionsNeededEnum": "qa_app.models.QAPair.DecisionsNeeded",
        "ReviewDecisionEnum": "qa_app.models.ReviewDecision.Decision",
        "ReviewVerdictEnum": [("approve", "approve"), ("reject", "reject")],
        "ImportRunStatusEnum": "qa_app.models.ImportRun.Status",
        "WebhookDeliveryStatusEnum": "webhooks_app.models.WebhookDelivery.Status",
    },
    # Every operation documents the errors any request can meet (400, 401, 403, 404) in the one error shape.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "synthgov.api.schema.document_common_errors",
    ],
}

# Operations (README "Health and metrics"). /metrics is served only when a token is set, and only
# to requests that send it as `Authorization: Bearer <token>`; the same token (or a staff session)
# shows why a readiness check failed. The cluster check fails when no q2 scheduler has run the
# beat schedule for this long past its due time (schedulers run every 30 s; the beat is due each minute).
SYNTHGOV_METRICS_TOKEN = env_str("SYNTHGOV_METRICS_TOKEN", shown_default="(unset: /metrics is off)")
if SYNTHGOV_METRICS_TOKEN and len(SYNTHGOV_METRICS_TOKEN) < 16:
    PROBLEMS.append("SYNTHGOV_METRICS_TOKEN must be at least 16 characters (e.g. `openssl rand -hex 24`).")
    SYNTHGOV_METRICS_TOKEN = ""
SYNTHGOV_CLUSTER_BEAT_MAX_AGE_SECONDS = env_int("SYNTHGOV_CLUSTER_BEAT_MAX_AGE_SECONDS", 60, minimum=35)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"not_a_refusal": {"()": "synthgov.request_log.NotARefusal"}},
    "formatters": {"django.server": DEFAULT_LOGGING["formatters"]["django.server"]},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": DEFAULT_LOGGING["handlers"]["django.server"],
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    },
    "loggers": {
        # Django's default config gives "django" a console handler of its own, which printed
        # every record twice (there and at the root): the root's handler is enough. Configuring
        # "django" resets its children, so runserver's access log gets its own format back below.
        "django": {"level": "INFO"},
        "django.server": DEFAULT_LOGGING["loggers"]["django.server"],
        # A refused request is one line from "synthgov.refusals" (synthgov/request_log.py);
        # Django's own record of it, with a traceback for PermissionDenied, is dropped.
        # Server errors keep their traceback.
        "django.request": {"filters": ["not_a_refusal"]},
        "django.security.csrf": {"filters": ["not_a_refusal"]},
        # django-q2 logs the scheduler's and the workers' routine at INFO; Q_LOG_LEVEL=INFO shows it.
        "django-q": {"level": Q_LOG_LEVEL},
    },
}
CSRF_FAILURE_VIEW = "synthgov.request_log.csrf_failure"
