from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("yiwang.accounts.urls")),
    path("", include("yiwang.ui.urls")),
]

if settings.DEBUG:  # pragma: no cover
    pass
