"""Online case submissions over HTTP: ``POST /api/v1/cases`` against gunicorn + PostgreSQL.

Goal (issue 4): ≥ 300 submissions/s with p99 < 100 ms on this 2-core machine. Reference, same
run, same server settings: a bare django-ninja endpoint that inserts one JSON row per request in
one transaction (bench/bare, ``POST /notes``) — the floor cost of "HTTP + JSON + one committed
write" here. Each of our submissions does the real work: API-token authentication, the
Idempotency-Key record (SM4-encrypted answer), form validation against the item's form spec, the
daily case-number sequence (row lock), the case, its event, the audit-ledger append (chained, under
a lock) and the notifications scheduled after commit.

Load: wrk, 16 connections, 2 threads, 15 s after a 3 s warm-up, a fresh Idempotency-Key per
request, submissions spread over 20 items (20 number sequences) by 200 citizens' tokens.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    gunicorn,
    migrated_database,
    note,
    pg_env,
    recreate_database,
    require,
    result,
    run_setup,
    wrk_p99_ms,
)

SECONDS = int(os.environ.get("YIWANG_BENCH_SECONDS", "15"))
CONNECTIONS = 16
ITEMS = 20
CITIZENS = 200
WORKERS = 4

SETUP = r"""
import json, sys
import django
django.setup()
from django.utils import timezone
from yiwang.accounts import services as account_services
from yiwang.accounts.tests.factories import make_citizen, make_department, make_region
from yiwang.catalog.models import ItemStatus, ServiceItem

region = make_region("339900000000", "基准市")
department = make_department("基准市市场监督管理局", region=region)
codes = []
for n in range(%(items)d):
    code = f"11339900BENCH{n:03d}000001"
    ServiceItem.objects.create(
        base_code=f"00019{n:07d}", implementation_code=code, version=1,
        status=ItemStatus.PUBLISHED, published_at=timezone.now(), name=f"基准事项{n}",
        item_type="licensing", level="municipal", department=department, region=region,
        legal_limit=20, promised_limit=5, visits=0, online_depth=4,
        steps=[{"name": s} for s in ("受理", "审核", "审批", "办结", "送达")],
        form_fields=[
            {"key": "shop_name", "label": "店铺名称", "type": "text", "required": True},
            {"key": "area", "label": "经营面积", "type": "number", "required": True},
        ],
    )
    codes.append(code)
tokens = []
for n in range(%(citizens)d):
    citizen = make_citizen()
    tokens.append(account_services.create_api_token(citizen, "bench", by=citizen)[1])
print(json.dumps({"codes": codes, "tokens": tokens}))
"""

SUBMIT_LUA = r"""
local codes = %(codes)s
local tokens = %(tokens)s
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  thread_id = tid
  math.randomseed(20261121 + thread_id)
end
request = function()
  counter = counter + 1
  local code = codes[math.random(1, #codes)]
  local token = tokens[math.random(1, #tokens)]
  local body = '{"item":"' .. code .. '","form":{"shop_name":"基准小店' .. counter .. '","area":' .. (10 + counter %% 90) .. '}}'
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. token
  headers["Idempotency-Key"] = string.format("bench-%%d-%%d-%%d", thread_id, counter, math.random(1, 1000000000))
  return wrk.format("POST", "/api/v1/cases", headers, body)
end
"""

BARE_LUA = r"""
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"shop_name":"基准小店' .. counter .. '","area":' .. (10 + counter % 90) .. '}'
  return wrk.format("POST", "/notes", {["Content-Type"] = "application/json"}, body)
end
"""


def run_wrk(url: str, script: str, seconds: int) -> tuple[float, float, str]:
    """(requests/s, p99 in ms, raw output); fails on any non-2xx answer."""
    binary = require("wrk", "wrk")
    out = subprocess.run(
        [binary, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", script, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = wrk_p99_ms(out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        sys.exit(f"{non2xx.group(1)} requests failed:\n{out}")
    return rps, p99, out


def _lua(text: str) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    handle.write(text)
    handle.close()
    return handle.name


def main() -> None:
    _url, env = migrated_database("yiwang_bench_cases")
    world = run_setup(SETUP % {"items": ITEMS, "citizens": CITIZENS}, env)
    lua_list = "{" + ",".join(f'"{v}"' for v in world["codes"]) + "}"
    token_list = "{" + ",".join(f'"{v}"' for v in world["tokens"]) + "}"
    submit = _lua(SUBMIT_LUA % {"codes": lua_list, "tokens": token_list})

    with gunicorn("config.wsgi:application", env, workers=WORKERS) as port:
        run_wrk(f"http://127.0.0.1:{port}/api/v1/cases", submit, 3)
        rps, p99, _ = run_wrk(f"http://127.0.0.1:{port}/api/v1/cases", submit, SECONDS)
    count = subprocess.run(
        ["psql", "-tAc", "SELECT count(*) FROM cases_case", "yiwang_bench_cases"],
        env=pg_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    note(
        f"ours: {rps:.0f} submissions/s, p99 {p99:.1f} ms ({CONNECTIONS} connections, gunicorn "
        f"{WORKERS} sync workers, {count} cases written in all); goal ≥ 300/s and p99 < 100 ms: "
        + ("met" if rps >= 300 and p99 < 100 else "NOT met")
    )

    bare_url = recreate_database("yiwang_bench_bare_write")
    subprocess.run(
        [
            "psql",
            "-qc",
            "CREATE TABLE bare_note (id bigserial PRIMARY KEY, body jsonb NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())",
            "yiwang_bench_bare_write",
        ],
        env=pg_env(),
        check=True,
    )
    bare_env = dict(env, DATABASE_URL=bare_url, DJANGO_SETTINGS_MODULE="bench.bare.settings")
    bare = _lua(BARE_LUA)
    with gunicorn("bench.bare.wsgi:application", bare_env, workers=WORKERS) as port:
        run_wrk(f"http://127.0.0.1:{port}/notes", bare, 3)
        bare_rps, bare_p99, _ = run_wrk(f"http://127.0.0.1:{port}/notes", bare, SECONDS)
    note(f"bare one-insert endpoint: {bare_rps:.0f} req/s, p99 {bare_p99:.1f} ms")
    note(f"case submission p99: {p99:.1f} ms")
    result("case_submit", rps, "req/s", bare_rps, "req/s")


if __name__ == "__main__":
    main()
