from django.urls import path

from yiwang.ui import views

app_name = "ui"

urlpatterns = [
    path("", views.home, name="home"),
    path("design/", views.design_system, name="design_system"),
]
