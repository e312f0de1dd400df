"""Settings shared by every deployment. Values that differ come from the environment.

Nothing set → a demo on SQLite at ./var/yiwang.sqlite3 with DEBUG on.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_database, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("YIWANG_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", True)
# Development-only default; production.py refuses to start without a real secret.
SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmn"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Demo mode: seed data and the persona switcher. Never on in production.
YIWANG_DEMO = env_bool("YIWANG_DEMO", DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "yiwang.core",
    "yiwang.accounts",
    "yiwang.catalog",
    "yiwang.workflow",
    "yiwang.cases",
    "yiwang.licences",
    "yiwang.hotline",
    "yiwang.ratings",
    "yiwang.ui",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "yiwang.accounts.middleware.IdleTimeoutMiddleware",
    "yiwang.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "yiwang.core.middleware.NulCharacterMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "yiwang.core.middleware.SecurityHeadersMiddleware",
    "yiwang.core.middleware.DomainErrorMiddleware",
    # Innermost: the first to see a view's exception; turns "database unreachable" into 503.
    "yiwang.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "yiwang.ui.context_processors.site",
            ],
        },
    }
]

DATABASES = {
    "default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'yiwang.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: wait instead of failing when another connection holds the write lock.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Small configuration tables (the 12345 taxonomy, dispatch rules) are cached per process for this
# many seconds; a change saved in one process reaches the others within it (0: no cache).
YIWANG_CONFIG_CACHE_SECONDS = env_int("YIWANG_CONFIG_CACHE_SECONDS", 30)
# 好差评 (RULES.md): a rating at or below this level is a bad review; the department calls back
# within the first limit and rectifies within the second (working days).
YIWANG_RATING_BAD_MAX_LEVEL = env_int("YIWANG_RATING_BAD_MAX_LEVEL", 2)
YIWANG_RATING_CALLBACK_WORKING_DAYS = env_int("YIWANG_RATING_CALLBACK_WORKING_DAYS", 1)
YIWANG_RATING_RECTIFY_WORKING_DAYS = env_int("YIWANG_RATING_RECTIFY_WORKING_DAYS", 15)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["yiwang.accounts.backends.LockoutAwareBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "ui:home"
LOGOUT_REDIRECT_URL = "ui:home"

# 等保 2.0 level 3 defaults (RULES.md): 5 failures → 30 min lockout; 30 min idle timeout.
YIWANG_LOGIN_MAX_FAILURES = env_int("YIWANG_LOGIN_MAX_FAILURES", 5)
YIWANG_LOGIN_LOCKOUT_MINUTES = env_int("YIWANG_LOGIN_LOCKOUT_MINUTES", 30)
YIWANG_IDLE_TIMEOUT_MINUTES = env_int("YIWANG_IDLE_TIMEOUT_MINUTES", 30)
SESSION_COOKIE_AGE = YIWANG_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# OIDC sign-in with the province's unified identity service (统一身份认证); off unless configured.
YIWANG_OIDC_ENABLED = env_bool("YIWANG_OIDC_ENABLED", False)
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid profile")
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/"
# Claim names differ between provinces' identity services.
YIWANG_OIDC_ID_NUMBER_CLAIM = env_str("YIWANG_OIDC_ID_NUMBER_CLAIM", "id_card_no")
YIWANG_OIDC_NAME_CLAIM = env_str("YIWANG_OIDC_NAME_CLAIM", "name")
if YIWANG_OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("yiwang.accounts.oidc.ProvinceOIDCBackend")

# National crypto keys (hex). Development defaults are derived from SECRET_KEY; production requires
# them explicitly (see production.py and docs/operations.md).
YIWANG_SM4_KEY = env_str("YIWANG_SM4_KEY", "")  # 32 hex chars: encrypts ID numbers at rest
YIWANG_BLIND_INDEX_KEY = env_str("YIWANG_BLIND_INDEX_KEY", "")  # HMAC-SM3 key for lookups
YIWANG_LEDGER_SM2_PRIVATE_KEY = env_str("YIWANG_LEDGER_SM2_PRIVATE_KEY", "")  # 64 hex chars
YIWANG_LEDGER_CHECKPOINT_EVERY = env_int("YIWANG_LEDGER_CHECKPOINT_EVERY", 1000)
# Public keys (128 hex) of retired ledger signing keys: their checkpoints still verify.
YIWANG_LEDGER_SM2_RETIRED_PUBLIC_KEYS = env_list("YIWANG_LEDGER_SM2_RETIRED_PUBLIC_KEYS", [])

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("简体中文")),
    ("zh-hant", _("繁體中文")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages come from the npm registry (package-lock.json) and are served from
# node_modules: only their built files, under /static/vendor/<package>/.
STATICFILES_DIRS = [
    (f"vendor/{name}", BASE_DIR / "node_modules" / package / "dist")
    for name, package in (("htmx", "htmx.org"), ("echarts", "echarts"))
    if (BASE_DIR / "node_modules" / package / "dist").is_dir()
]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "/media/"
# Development serves static files from the finders (no collectstatic needed); production uses the
# collected, compressed manifest (production.py).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("REDIS_URL")}
        if env_str("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

TASKS = {
    "default": {
        "BACKEND": env_str("YIWANG_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Mail (case notifications): printed to the console unless a deployment names another backend.
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# Cases (yiwang.cases): the SMS sender (a class with send(phone, text); the default only logs)
# and the case number format (docs/cases.md, "Numbering").
YIWANG_SMS_SENDER = env_str("YIWANG_SMS_SENDER", "yiwang.cases.notifications.LoggingSmsSender")
YIWANG_CASE_NUMBER_FORMAT = env_str("YIWANG_CASE_NUMBER_FORMAT", "{prefix}{date:%Y%m%d}{seq:04d}")
# 12345: the demand classifier's model file (manage.py retrain_classifier writes it; without it
# the classifier trains from the shipped corpus on first use).
YIWANG_HOTLINE_MODEL_PATH = Path(
    env_str("YIWANG_HOTLINE_MODEL_PATH", str(VAR_DIR / "hotline-model.npz"))
)
# The public address of this deployment, printed in licence QR codes (电子证照核验链接).
YIWANG_PUBLIC_URL = env_str("YIWANG_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Content security policy: same-origin only; no inline script.
YIWANG_CSP = env_str(
    "YIWANG_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'",
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "WARNING")},
}
