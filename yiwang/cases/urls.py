from django.urls import path

from yiwang.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("apply/<str:code>/", views.apply_item, name="apply_item"),
    path("bundles/<str:code>/apply/", views.apply_bundle, name="apply_bundle"),
    path("worklist/", views.worklist, name="worklist"),
    path("counter/", views.counter, name="counter"),
    path("notifications/", views.notifications_page, name="notifications"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/resubmit/", views.resubmit, name="resubmit"),
]
