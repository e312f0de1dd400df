"""Settings for the test suite: fast hashing, in-memory cache, tasks run immediately."""

from config.settings.base import *  # noqa: F403

DEBUG = False
YIWANG_DEMO = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = []
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# TransactionTestCase flushes after each test: lift the ledger guards for that (core flush).
YIWANG_LEDGER_ALLOW_FLUSH = True
