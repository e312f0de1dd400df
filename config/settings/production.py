"""Production settings: everything secret or host-specific must come from the environment.

Passes ``manage.py check --deploy --fail-level WARNING``.
"""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import (
    YIWANG_BLIND_INDEX_KEY,
    YIWANG_LEDGER_SM2_PRIVATE_KEY,
    YIWANG_SM4_KEY,
)

DEBUG = False
YIWANG_DEMO = False

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of 50+ characters")
for _name, _value in (
    ("YIWANG_SM4_KEY", YIWANG_SM4_KEY),
    ("YIWANG_BLIND_INDEX_KEY", YIWANG_BLIND_INDEX_KEY),
    ("YIWANG_LEDGER_SM2_PRIVATE_KEY", YIWANG_LEDGER_SM2_PRIVATE_KEY),
):
    if not _value:
        raise ImproperlyConfigured(f"{_name} must be set in production")

WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("YIWANG_MEDIA_ROOT", "/var/lib/yiwang/media")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
TASKS = {
    "default": {
        "BACKEND": env_str("YIWANG_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
