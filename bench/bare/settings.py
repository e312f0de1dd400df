"""A bare Django + django-ninja project for the API ceiling benchmark (no middleware, no apps)."""

from config.env import env_database

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.bare.urls"
DATABASES = {
    "default": env_database("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yiwang_bench")
}
DATABASES["default"]["CONN_MAX_AGE"] = 600
USE_TZ = True
