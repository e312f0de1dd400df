from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("yiwang.accounts.urls")),
    path("cases/", include("yiwang.cases.urls")),
    path("services/", include("yiwang.catalog.urls")),
    path("licences/", include("yiwang.licences.urls")),
    path("hotline/", include("yiwang.hotline.urls")),
    path("ratings/", include("yiwang.ratings.urls")),
    path("open311/v2/", include("yiwang.hotline.open311.urls")),
    path("", include("yiwang.ui.urls")),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
