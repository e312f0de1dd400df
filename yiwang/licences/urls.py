from django.urls import path, register_converter

from yiwang.licences import views

app_name = "licences"


class LicenceIdConverter:
    """A GB/T 36904 licence id as it appears in a URL: digits, capitals and dots (no slash).
    Whether it is a well-formed id is the selectors' and the verifier's business."""

    regex = r"[0-9A-Za-z][0-9A-Za-z.]{0,119}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(LicenceIdConverter, "licence_id")

urlpatterns = [
    path("", views.wallet, name="mine"),
    path("", views.wallet, name="index"),  # the home page's card (yiwang.ui.views.OFFERS)
    path("verify/", views.verify, name="verify"),
    path("verify/<str:licence_id>/", views.verify_reference, name="verify_reference"),
    path("keys/", views.key_directory, name="keys"),
    path("keys/<slug:key_id>.pem", views.key_pem, name="key_pem"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("manage/", views.manage, name="manage"),
    path("manage/issue/", views.issue, name="issue"),
    path("cases/<str:number>/", views.case_licences, name="case_licences"),
    path("<licence_id:licence_id>/", views.detail, name="detail"),
    path("<licence_id:licence_id>/pdf", views.download_pdf, name="pdf"),
    path("<licence_id:licence_id>/json", views.download_json, name="json"),
    path("<licence_id:licence_id>/share-links/", views.share_create, name="share_create"),
    path(
        "<licence_id:licence_id>/share-links/<int:link_id>/revoke/",
        views.share_revoke,
        name="share_revoke",
    ),
    path("<licence_id:licence_id>/status/", views.change_status, name="change_status"),
]
