from django.urls import URLPattern, path

from yiwang.catalog import views

app_name = "catalog"

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("items/<str:code>/", views.item_detail, name="item"),
    path("items/<str:code>/v<int:version>/", views.item_version, name="item_version"),
    path("bundles/<slug:code>/", views.bundle_detail, name="bundle"),
]
