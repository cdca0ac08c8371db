"""Settings, all from the environment (12-factor); a `.env` file is read when present.

Every variable is documented in `.env.example`. Docs:
https://docs.djangoproject.com/en/5.2/ref/settings/ and https://django-environ.readthedocs.io/
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Real environment variables win over the file (read_env does not overwrite). The tests
# turn the file off so that a developer's .env cannot change what they check.
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True) and (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off (make run writes one into .env)."
        )
    SECRET_KEY = "insecure-dev-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Apps: Django, third-party, local. `sessions` is ours (label capture_sessions);
# django.contrib.sessions stays for login and admin.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_ratelimit",
    "axes",
    "capture_portal",
    "units",
    "sessions.apps.CaptureSessionsConfig",
    "payments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # https://whitenoise.readthedocs.io/en/stable/django.html
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sessions.middleware.NoCampaignMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "capture_portal.urls"
WSGI_APPLICATION = "capture_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "capture_portal.context_processors.roles",
            ],
        },
    },
]

# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections are worth about 30 % on the lookup (shared/TOOLCHAIN.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_PREPARED_STATEMENTS", default=False
):
    # Prepared statements (opt-in): PostgreSQL plans a statement once per connection. Off by
    # default: a prepared statement may get a generic plan, and the generic plan of a bulk
    # change's 5,000-key IN list (closing a session) scanned the list linearly for every
    # row — minutes per chunk in one CI run, where the inlined constants take milliseconds.
    # The scan gains little from them now that its reads are one-table or by unique key.
    # They need server-side binding, and Django leaves psycopg's preparing off
    # (prepare_threshold None). https://docs.djangoproject.com/en/5.2/ref/databases/
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 2}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several workers (the day's stations) write at once. IMMEDIATE transactions take the
    # write lock when they begin, so two writers queue (up to `timeout` seconds) instead of
    # deadlocking on a lock upgrade; WAL lets pages be read while a scan is written.
    # https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-transaction-behavior
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Embedded default: Django's database cache, shared by every process of the machine (the
# table is made by `migrate`); Redis (CACHE_URL=redis://...) when several app servers
# must share it. https://docs.djangoproject.com/en/5.2/topics/cache/
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://capture_cache")}

# Rate limits (django-ratelimit): in Redis when there is one; else in counters that every
# process shares and increments atomically (capture_portal/counters.py), which Django's
# database cache does not. https://django-ratelimit.readthedocs.io/en/stable/settings.html
if CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
    CACHES["ratelimit"] = {"BACKEND": "capture_portal.counters.CounterCache"}
    RATELIMIT_USE_CACHE = "ratelimit"
else:
    RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "capture_portal.clientip.client_ip"
RATELIMIT_VIEW = "sessions.views.public.rate_limited"
SILENCED_SYSTEM_CHECKS_CACHE = [
    # django-ratelimit lists only django-redis and memcached as "official"; Django's own
    # Redis backend and the counters here both increment atomically.
    "django_ratelimit.W001",
]

# The client's address, for the rate limits and the sign-in lockout: behind this many
# trusted reverse proxies, the entry that far from the right of X-Forwarded-For
# (capture_portal/clientip.py); 0 = no proxy, the connection's own address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failed passwords for one
# account, or from one client address, that account or address is locked out for
# AXES_COOLOFF_MINUTES; a success resets the count. Unlock at once with
# `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS` or in the admin.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=8)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "capture_portal.lockout.locked_out"
AXES_CLIENT_IP_CALLABLE = "capture_portal.clientip.client_ip"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Chinese first, English second. https://docs.djangoproject.com/en/5.2/topics/i18n/
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# Delivered photos are personal data: kept outside the static and media paths, served only
# through a permission-checked view (sessions.photos). A private directory by default; an
# S3-compatible object store (django-storages) when several app servers share them.
PHOTO_STORAGE = env.str("PHOTO_STORAGE", default="local")
if PHOTO_STORAGE not in ("local", "s3"):
    # A typo must not quietly split the photos between the servers' own disks.
    raise ImproperlyConfigured("PHOTO_STORAGE is 'local' or 's3'.")
if PHOTO_STORAGE == "s3":
    STORAGES["photos"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("PHOTO_S3_BUCKET"),
            "endpoint_url": env.str("PHOTO_S3_ENDPOINT_URL", default=None),
            "access_key": env.str("PHOTO_S3_ACCESS_KEY", default=None),
            "secret_key": env.str("PHOTO_S3_SECRET_KEY", default=None),
            "region_name": env.str("PHOTO_S3_REGION", default=None),
            "location": env.str("PHOTO_S3_PREFIX", default="photos"),
            # "private" by default; buckets with ACLs disabled (new AWS buckets) want none.
            "default_acl": env.str("PHOTO_S3_DEFAULT_ACL", default="private") or None,
            "file_overwrite": False,
            "querystring_auth": True,
            # Without it botocore presigns URLs with Signature Version 2, which AWS has
            # deprecated and v4-only regions and stores refuse.
            "signature_version": "s3v4",
        },
    }
else:
    PHOTO_ROOT = env.path("PHOTO_ROOT", default=BASE_DIR / "private" / "photos")
    STORAGES["photos"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # No base_url: these files have no public address.
        "OPTIONS": {"location": str(PHOTO_ROOT), "base_url": "/no-public-url/"},
    }

# The national standard for diploma registration images, as schools publish it (checked on
# every delivered photo, sessions.photos.standard): hard faults and warnings.
PHOTO_STANDARD = {
    "width": env.int("PHOTO_WIDTH", default=480),
    "height": env.int("PHOTO_HEIGHT", default=640),
    "dpi": env.int("PHOTO_DPI", default=300),
    "dpi_tolerance": env.int("PHOTO_DPI_TOLERANCE", default=20),
    "min_bytes": env.int("PHOTO_MIN_BYTES", default=20 * 1024),
    "max_bytes": env.int("PHOTO_MAX_BYTES", default=40 * 1024),
    # Graduate diplomas: a plain light-blue background.
    "background": tuple(env.list("PHOTO_BACKGROUND_RGB", cast=int, default=[100, 197, 255])),
    "background_distance": env.int("PHOTO_BACKGROUND_DISTANCE", default=60),
}
# A delivered archive is hostile until checked (sessions.photos.intake).
PHOTO_INTAKE_LIMITS = {
    "max_archive_bytes": env.int("PHOTO_MAX_ARCHIVE_BYTES", default=1024 * 1024 * 1024),
    "max_members": env.int("PHOTO_MAX_MEMBERS", default=20_000),
    "max_member_bytes": env.int("PHOTO_MAX_MEMBER_BYTES", default=5 * 1024 * 1024),
    "max_ratio": env.int("PHOTO_MAX_COMPRESSION_RATIO", default=100),
    "max_pixels": env.int("PHOTO_MAX_PIXELS", default=4_000_000),
}

# Without collectstatic (make run, tests) WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)

# Security: on whenever DEBUG is off. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER_ENABLED and, if the proxy redirects itself, SECURE_SSL_REDIRECT=False.
# https://docs.djangoproject.com/en/5.2/ref/middleware/#module-django.middleware.security
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp): everything from this server, no inline script or
# style anywhere (the admin included), nothing may frame the pages.
# https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = list(SILENCED_SYSTEM_CHECKS_CACHE)
if not SECURE_HSTS_PRELOAD:
    # Preloading is a one-way commitment for the whole domain; the university decides it.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Local overrides of Django's locale formats (capture_portal/formats/<locale>/formats.py).
FORMAT_MODULE_PATH = ["capture_portal.formats"]
