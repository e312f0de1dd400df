"""The site's URLs plus stand-ins for sections other apps will provide (for navigation tests).

Sections that exist (catalog, cases) are the real ones, from ``config.urls``."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as site_urlpatterns


def stand_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("stand-in")


def _section(namespace: str, *names: str) -> object:
    return include(([path(f"{name}/", stand_in, name=name) for name in names], namespace))


urlpatterns = [
    path("licences/", _section("licences", "index", "mine")),
    path("opendata/", _section("opendata", "index")),
    path("vault/", _section("vault", "index")),
    path("datahub/", _section("datahub", "index")),
    path("supervision/", _section("supervision", "index")),
    path("office/", _section("office", "index")),
    path("insight/", _section("insight", "dashboard")),
    *site_urlpatterns,
]
