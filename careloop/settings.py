"""CareLoop settings. Every value comes from an environment variable; see docs/deploy.md."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from careloop.accounts.auditchain import parse_keys
from careloop.accounts.auditcheckpoint import parse_syslog_target, private_key_from_text, public_key_from_text
from careloop.accounts.clientaddress import parse_networks
from careloop.devkeys import development_keys
from careloop.envconfig import envbool, envint, envlist, envsecret, envstr
from careloop.observations.importing.limits import MB, ImportLimits

# Django's generic classes take a subscript at run time, as django-stubs types them: ModelForm[Patient],
# ModelAdmin[Tag]. (django-tasks-db does this on import too; the code should not depend on that.)
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent
VAR_DIR = Path(envstr("CARELOOP_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("CARELOOP_DEBUG", False)

SECRET_KEY = envsecret("CARELOOP_SECRET_KEY")
FIELD_KEYS = envlist("CARELOOP_FIELD_KEYS") or [k for k in envsecret("CARELOOP_FIELD_KEYS").split(",") if k]
INDEX_KEY = envsecret("CARELOOP_INDEX_KEY")
if not (SECRET_KEY and FIELD_KEYS and INDEX_KEY):
    if not DEBUG:
        raise ImproperlyConfigured(
            "CARELOOP_SECRET_KEY, CARELOOP_FIELD_KEYS and CARELOOP_INDEX_KEY must be set "
            "(or CARELOOP_DEBUG=true for a development machine). See docs/deploy.md."
        )
    dev = development_keys(VAR_DIR / "dev-keys.json")
    SECRET_KEY = SECRET_KEY or dev["secret_key"]
    FIELD_KEYS = FIELD_KEYS or dev["field_keys"]
    INDEX_KEY = INDEX_KEY or dev["index_key"]

# The audit trail's keys (docs/deploy.md, "The audit trail"). Only the worker and `careloop audit` use them.
AUDIT_KEYS = envsecret("CARELOOP_AUDIT_KEYS")  # id:secret,... newest first
AUDIT_SIGNING_KEY = envsecret("CARELOOP_AUDIT_SIGNING_KEY")  # Ed25519 private key, 32 bytes in base64
if DEBUG and not (AUDIT_KEYS and AUDIT_SIGNING_KEY):
    dev = development_keys(VAR_DIR / "dev-keys.json")
    AUDIT_KEYS = AUDIT_KEYS or dev["audit_keys"]
    AUDIT_SIGNING_KEY = AUDIT_SIGNING_KEY or dev["audit_signing_key"]
AUDIT_CHECKPOINT_PUBLIC_KEYS = envlist("CARELOOP_AUDIT_CHECKPOINT_PUBLIC_KEYS")
_audit_checkpoint_dir = envstr("CARELOOP_AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "audit-checkpoints"))
AUDIT_CHECKPOINT_DIR = Path(_audit_checkpoint_dir) if _audit_checkpoint_dir else None
# udp://host:514, tcp://host:601 or /dev/log: checkpoints also go there
AUDIT_CHECKPOINT_SYSLOG = envstr("CARELOOP_AUDIT_CHECKPOINT_SYSLOG")
AUDIT_CHECKPOINT_SECONDS = envint("CARELOOP_AUDIT_CHECKPOINT_SECONDS", 300)
AUDIT_SEAL_SECONDS = envint("CARELOOP_AUDIT_SEAL_SECONDS", 5)
AUDIT_SEAL_GRACE_MINUTES = envint("CARELOOP_AUDIT_SEAL_GRACE_MINUTES", 60)
AUDIT_INSTALLATION = envstr("CARELOOP_AUDIT_INSTALLATION", "careloop")


def _valid(name: str, check: Callable[[], object]) -> None:
    try:
        check()
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}") from None


_valid("CARELOOP_AUDIT_KEYS", lambda: parse_keys(AUDIT_KEYS))
_valid("CARELOOP_AUDIT_SIGNING_KEY", lambda: AUDIT_SIGNING_KEY and private_key_from_text(AUDIT_SIGNING_KEY))
_valid(
    "CARELOOP_AUDIT_CHECKPOINT_PUBLIC_KEYS",
    lambda: list(map(public_key_from_text, AUDIT_CHECKPOINT_PUBLIC_KEYS)),
)
_valid(
    "CARELOOP_AUDIT_CHECKPOINT_SYSLOG",
    lambda: AUDIT_CHECKPOINT_SYSLOG and parse_syslog_target(AUDIT_CHECKPOINT_SYSLOG),
)

# Proxies whose X-Forwarded-For and X-Request-ID are believed (addresses or CIDRs); nobody else's are.
TRUSTED_PROXIES = envlist("CARELOOP_TRUSTED_PROXIES")
_valid("CARELOOP_TRUSTED_PROXIES", lambda: parse_networks(TRUSTED_PROXIES))

# Where patients open questionnaire links (https://followup.example-hospital.cn); empty: the address the
# staff member who sends the link is using.
PUBLIC_BASE_URL = envstr("CARELOOP_PUBLIC_URL", "")
ALLOWED_HOSTS = envlist("CARELOOP_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CARELOOP_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "careloop.accounts.admin_site.InstallationAdminConfig",  # django.contrib.admin, for the superuser only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "careloop.accounts",
    "careloop.patients",
    "careloop.observations",
    "careloop.questionnaires",
    "careloop.alerts",
    "careloop.facts",
    "careloop.autotags",
    "careloop.followup",
    "careloop.demo",  # the demo command, above the apps it seeds
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "careloop.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything reads the body: CSRF reads the form in process_view, which runs after every
    # middleware's __call__; here the user and language are known, so the 413 page is the product's.
    "careloop.requestsize.RequestSizeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "careloop.accounts.middleware.RequestContextMiddleware",
    "careloop.accounts.middleware.SessionRefreshMiddleware",
    "careloop.accounts.middleware.SecondFactorMiddleware",
    "careloop.accounts.password_middleware.PasswordChangeRequiredMiddleware",
]

ROOT_URLCONF = "careloop.urls"
WSGI_APPLICATION = "careloop.wsgi.application"

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
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'careloop.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and the web process work side by side; IMMEDIATE avoids
    # "database is locked" on upgrade from a read to a write transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"  # each role's own start page (careloop/accounts/start.py)
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Length, character classes and reuse, by the policy of the user's organization (docs/deploy.md).
    {"NAME": "careloop.accounts.password_validation.OrganizationPolicyValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login security
# Failed logins are throttled with exponential back-off, never locked for good (accounts/throttle.py): the
# MAX_FAILURES-th failure in a row starts a wait of BACKOFF_SECONDS, doubled at each further failure up to
# the longest wait. Counted per (account, client network) and per network (strong), and per account (soft:
# its wait is capped short, as it holds for the real user too). See docs/deploy.md.
LOGIN_MAX_FAILURES = envint("CARELOOP_LOGIN_MAX_FAILURES", 5)
LOGIN_ACCOUNT_MAX_FAILURES = envint("CARELOOP_LOGIN_ACCOUNT_MAX_FAILURES", 10)
LOGIN_NETWORK_MAX_FAILURES = envint("CARELOOP_LOGIN_NETWORK_MAX_FAILURES", 100)
LOGIN_BACKOFF_SECONDS = envint("CARELOOP_LOGIN_BACKOFF_SECONDS", 30)
LOGIN_BACKOFF_MAX_SECONDS = envint("CARELOOP_LOGIN_BACKOFF_MAX_SECONDS", 3600)
LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS = envint("CARELOOP_LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS", 300)
REQUIRE_ADMIN_2FA = envbool("CARELOOP_REQUIRE_ADMIN_2FA", not DEBUG)
SESSION_COOKIE_AGE = envint("CARELOOP_SESSION_IDLE_MINUTES", 30) * 60
# The age above counts from the session's last save. Saving on every request would cost every page view a
# write; SessionRefreshMiddleware saves at most once a minute instead, so the idle timeout holds to a minute.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Production hardening; each can be turned off behind a TLS-terminating proxy that needs it.
SECURE_SSL_REDIRECT = envbool("CARELOOP_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("CARELOOP_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("CARELOOP_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("CARELOOP_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("CARELOOP_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Scripts only from our own files (htmx, ECharts, careloop/*.js) or carrying this response's nonce: no
# inline script, no on*= handler, no eval. Inline style= attributes and the <style> blocks of some pages
# stay allowed ('unsafe-inline' for styles only; a nonce in style-src would switch it off).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Browser features no page of CareLoop uses, refused to every frame (careloop.headers).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), midi=(), payment=(), usb=()"
)
if envbool("CARELOOP_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = envstr("CARELOOP_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT: Path | None = VAR_DIR / "static"  # the tests set None: they serve from the app folders
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Uploaded files (call recordings) through the "default" storage above: this folder by default, or an
# S3-compatible bucket (docs/deploy.md). They are served only by views that check access, never by URL.
MEDIA_ROOT = Path(envstr("CARELOOP_MEDIA_DIR", str(VAR_DIR / "media")))
if envstr("CARELOOP_MEDIA_S3_BUCKET"):
    # An S3-compatible bucket (AWS, MinIO, Ceph, Aliyun OSS) through django-storages, installed separately
    # (`pip install "django-storages[s3]"`): docs/deploy.md, "Call recordings".
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": envstr("CARELOOP_MEDIA_S3_BUCKET"),
            "endpoint_url": envstr("CARELOOP_MEDIA_S3_ENDPOINT") or None,
            "region_name": envstr("CARELOOP_MEDIA_S3_REGION") or None,
            "access_key": envsecret("CARELOOP_MEDIA_S3_ACCESS_KEY") or None,
            "secret_key": envsecret("CARELOOP_MEDIA_S3_SECRET_KEY") or None,
            "location": envstr("CARELOOP_MEDIA_S3_PREFIX"),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }

# Call recordings (careloop/followup/recordings.py): the largest file taken, refused before it is read;
# how long ffmpeg may take to make an AMR recording's playable copy; the speech-to-text backend, a dotted
# path to a class with the `Transcriber` interface (careloop/followup/transcription.py), none by default.
RECORDING_MAX_BYTES = envint("CARELOOP_RECORDING_MAX_BYTES", 50 * 2**20)
RECORDING_CONVERT_TIMEOUT_SECONDS = envint("CARELOOP_RECORDING_CONVERT_TIMEOUT_SECONDS", 120)
TRANSCRIBER = envstr("CARELOOP_TRANSCRIBER")

PATIENTS_PER_PAGE = 25

# HL7 v2 over MLLP (`careloop mllp`, docs/deploy.md); the command's options override each of these.
MLLP_HOST = envstr("CARELOOP_MLLP_HOST", "127.0.0.1")
MLLP_PORT = envint("CARELOOP_MLLP_PORT", 2575)
MLLP_ALLOWED_PEERS = envlist("CARELOOP_MLLP_ALLOWED_PEERS")  # addresses / CIDR networks; none: any
MLLP_TLS_CERT = envstr("CARELOOP_MLLP_TLS_CERT")  # PEM certificate chain; with the key, TLS only
MLLP_TLS_KEY = envstr("CARELOOP_MLLP_TLS_KEY")
MLLP_TLS_CLIENT_CA = envstr("CARELOOP_MLLP_TLS_CLIENT_CA")  # set: clients need a certificate it signed
MLLP_IDLE_TIMEOUT_SECONDS = envint("CARELOOP_MLLP_IDLE_TIMEOUT_SECONDS", 60)
MLLP_FRAME_TIMEOUT_SECONDS = envint("CARELOOP_MLLP_FRAME_TIMEOUT_SECONDS", 30)
MLLP_MAX_MESSAGE_MB = envint("CARELOOP_MLLP_MAX_MESSAGE_MB", 4)
MLLP_MAX_CONNECTIONS = envint("CARELOOP_MLLP_MAX_CONNECTIONS", 50)
MLLP_MAX_BUFFERED_MB = envint("CARELOOP_MLLP_MAX_BUFFERED_MB", 64)
MLLP_MAX_SEGMENTS = envint("CARELOOP_MLLP_MAX_SEGMENTS", 10_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "careloop.logredact.RedactIdentifiersFilter"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
        # runserver's request lines (Django's own handler has no filter): redacted like every other line.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": envstr("CARELOOP_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

ORGANIZATION_NAME_FALLBACK = _("CareLoop")
IMPORT_DIR = Path(envstr("CARELOOP_IMPORT_DIR", str(VAR_DIR / "imports")))
IMPORT_MAX_UPLOAD_MB = envint("CARELOOP_IMPORT_MAX_UPLOAD_MB", 200)
# A request body larger than this is refused before it is read (careloop/requestsize.py), except on a
# page that takes an upload, which accepts its file limit more.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("CARELOOP_MAX_REQUEST_MB", 10) * MB
FILE_UPLOAD_HANDLERS = [
    "careloop.requestsize.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
_IMPORT_DEFAULTS = ImportLimits()
IMPORT_LIMITS = ImportLimits(
    rows=envint("CARELOOP_IMPORT_MAX_ROWS", _IMPORT_DEFAULTS.rows),
    results=envint("CARELOOP_IMPORT_MAX_RESULTS", _IMPORT_DEFAULTS.results),
    lines=envint("CARELOOP_IMPORT_MAX_LINES", _IMPORT_DEFAULTS.lines),
    unpacked_bytes=envint("CARELOOP_IMPORT_MAX_UNPACKED_MB", _IMPORT_DEFAULTS.unpacked_bytes // MB) * MB,
    part_bytes=envint("CARELOOP_IMPORT_MAX_PART_MB", _IMPORT_DEFAULTS.part_bytes // MB) * MB,
    ratio=envint("CARELOOP_IMPORT_MAX_ZIP_RATIO", _IMPORT_DEFAULTS.ratio),
    parts=envint("CARELOOP_IMPORT_MAX_ZIP_PARTS", _IMPORT_DEFAULTS.parts),
    bundle_bytes=envint("CARELOOP_IMPORT_MAX_BUNDLE_MB", _IMPORT_DEFAULTS.bundle_bytes // MB) * MB,
    stored_problems=envint("CARELOOP_IMPORT_MAX_STORED_PROBLEMS", _IMPORT_DEFAULTS.stored_problems),
)

# The sweep creates follow-up tasks falling due up to this many days ahead (the worklist's "upcoming"),
# and still creates those whose window closed up to this many days back (a sweep that did not run).
FOLLOWUP_HORIZON_DAYS = envint("CARELOOP_FOLLOWUP_HORIZON_DAYS", 30)
FOLLOWUP_CATCH_UP_DAYS = envint("CARELOOP_FOLLOWUP_CATCH_UP_DAYS", 30)
# `careloop worker` runs the daily sweep at this local time (HH:MM), or at start when the day's is owed.
FOLLOWUP_SWEEP_AT = envstr("CARELOOP_FOLLOWUP_SWEEP_AT", "02:00")
