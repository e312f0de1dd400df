from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

from yiwang.accounts import views

app_name = "accounts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("totp/", views.totp_verify, name="totp_verify"),
    path("totp/setup/", views.totp_setup, name="totp_setup"),
    path("me/", views.profile, name="profile"),
    path("tokens/", views.api_tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.api_token_revoke, name="token_revoke"),
    path("demo/personas/", views.personas, name="personas"),
]

if settings.YIWANG_OIDC_ENABLED:  # pragma: no cover - needs a configured identity provider
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
