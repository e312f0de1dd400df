"""One endpoint: read one pgbench account by primary key (the same query as `pgbench -S`)."""

from django.db import connection
from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI

api = NinjaAPI(urls_namespace="bare")


@api.get("/accounts/{aid}")
def account(request: HttpRequest, aid: int) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT abalance FROM pgbench_accounts WHERE aid = %s", [aid])
        row = cursor.fetchone()
    return {"aid": aid, "abalance": row[0] if row else 0}


urlpatterns = [path("", api.urls)]
