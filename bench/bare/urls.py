"""Two endpoints: read one pgbench account by primary key (the same query as `pgbench -S`), and
insert one JSON row in one transaction (the floor of a write request, for bench_case_submit)."""

import json

from django.db import connection, transaction
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


@api.post("/notes", response={201: dict})
def note(request: HttpRequest) -> tuple[int, dict[str, int]]:
    body = json.loads(request.body)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bare_note (body) VALUES (%s) RETURNING id", [json.dumps(body)])
        row = cursor.fetchone()
    return 201, {"id": row[0] if row else 0}


urlpatterns = [path("", api.urls)]
