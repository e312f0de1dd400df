"""Open311 GeoReport v2 facade over tickets, at /open311/v2/ (config/urls.py).

Every resource takes a format suffix (``.json`` or ``.xml``). Identifiers may hold any
character (a client may send anything), so they are matched up to the last dot and judged by
the views; whatever matches no route still gets an Open311 error, never an HTML page.
``request/{id}`` is the path the swagger file names, ``requests/{id}`` the wiki's (see
``views.request_object``).
"""

from django.urls import re_path

from yiwang.hotline.open311 import views

app_name = "open311"

_FORMAT = r"\.(?P<format>[^/]*)"
_ID = r"(?P<{}>[\s\S]*)"

urlpatterns = [
    re_path(rf"^discovery{_FORMAT}$", views.discovery, name="discovery"),
    re_path(rf"^services{_FORMAT}$", views.service_list, name="services"),
    re_path(
        rf"^services/{_ID.format('service_code')}\.(?P<format>[^/.]*)$",
        views.service_definition,
        name="service_definition",
    ),
    re_path(rf"^requests{_FORMAT}$", views.request_list, name="requests"),
    re_path(
        rf"^requests/{_ID.format('service_request_id')}\.(?P<format>[^/.]*)$",
        views.request_detail,
        name="request",
    ),
    re_path(
        rf"^request/{_ID.format('service_request_id')}\.(?P<format>[^/.]*)$",
        views.request_object,
        name="request_object",
    ),
    re_path(
        rf"^tokens/{_ID.format('token')}\.(?P<format>[^/.]*)$",
        views.token,
        name="token",
    ),
    re_path(r"^(?P<path>[\s\S]*)$", views.not_found, name="not_found"),
]
