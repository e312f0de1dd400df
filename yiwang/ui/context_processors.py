from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {"YIWANG_DEMO": settings.YIWANG_DEMO}
