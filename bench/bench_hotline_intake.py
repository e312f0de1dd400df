"""12345 受理并派单 over HTTP: ``POST /api/v1/hotline/tickets`` against gunicorn + PostgreSQL.

Goal (issue 6): intake → classification → dispatch through the API ≥ 200 tickets/s on this
2-core machine. Each request does the real work of an agent's "受理并派单"
(``services.take_in``): API-token authentication, the agent's roles, validation of every field,
the classifier's top three (loaded once per worker from a model file), the suggested categories,
the dispatch rule (most specific category × region prefix), the sign and handling clocks
(working-day calendar); then in one transaction the daily ticket number (row lock), the ticket in
its final state, its three events (intake, categorise, dispatch) in one statement and three
audit-ledger appends (chained, under the append lock); the answer shows the ticket, its timeline
and the outcome. The category is left to the classifier; dispatch is on.

Demands: the corpus is split 80/20 stratified (seed 0); the model is trained on the 80 % and the
requests send the 603 held-out texts (their type and channel from the corpus, seeded shuffle), so
the share confirmed automatically is what the model achieves on texts it never saw. The world: a
city with the taxonomy, one department per responsible-department key, a rule for every accepted
leaf, 20 agents with API tokens; streets of two districts, random callers' numbers; ``ANALYZE``
after the setup (autovacuum is off on this machine's PostgreSQL).

Load: wrk, 16 connections, 2 threads, ``YIWANG_BENCH_SECONDS`` (15) s after a warm-up (until
every worker answers within a second, then 3 s of wrk); gunicorn ``YIWANG_BENCH_WORKERS`` (2)
sync workers (3 and 4 measured lower on these two cores). Reference, same run and server
settings: a bare django-ninja endpoint inserting one JSON row per request in one transaction
(bench/bare). NOTE lines give p99, the outcome shares (dispatched, waiting for the agent,
referred, no rule) and where the time of one request goes, measured in one process over the same
database (SQL statements and their time, the classifier, the rest).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    gunicorn,
    migrated_database,
    note,
    pg_env,
    recreate_database,
    result,
    run_setup,
    wrk_rps_p99,
)

SECONDS = int(os.environ.get("YIWANG_BENCH_SECONDS", "15"))
# Two sync workers: on two cores shared with PostgreSQL and wrk, 3 or 4 measured lower.
WORKERS = int(os.environ.get("YIWANG_BENCH_WORKERS", "2"))
CONNECTIONS = 16
AGENTS = 20
SEED = 20261122
GOAL = 200.0
DATABASE = "yiwang_bench_hotline_intake"

SETUP = r"""
import json, random
import django
django.setup()
from yiwang.accounts import services as account_services
from yiwang.accounts.tests.factories import make_department, make_region
from yiwang.cases.tests.factories import staff_with_role
from yiwang.hotline import classifier
from yiwang.hotline.categories import sync_categories
from yiwang.hotline.models import Category, DispatchRule

CITY = "339900000000"
TYPES = {"咨询": "consult", "求助": "help", "投诉": "complaint", "举报": "report", "建议": "suggestion"}

sync_categories()
make_region(CITY, "基准市")
departments = {}
for leaf in Category.objects.filter(level=3, not_accepted=False).exclude(department_key=""):
    key = leaf.department_key
    if key not in departments:
        departments[key] = make_department(f"基准市承办单位{key}", region=CITY)
    DispatchRule.objects.create(category_prefix=leaf.code, department=departments[key])
centre = make_department("基准市12345热线中心", region=CITY)
tokens = []
for n in range(%(agents)d):
    agent = staff_with_role(centre, "hotline_agent", ("hotline.intake", "hotline.dispatch"))
    tokens.append(account_services.create_api_token(agent, "bench", by=agent)[1])

rows = [json.loads(line) for line in open(classifier.SHIPPED_CORPUS, encoding="utf-8") if line.strip()]
train_part, held_out = classifier.split_examples(rows, seed=0)
classifier.save(classifier.train(train_part, seed=0), %(model)r)
meta = {row["text"]: row for row in rows}
rng = random.Random(%(seed)d)
streets = [f"3399{d:02d}{t:03d}{v:03d}" for d in (2, 3) for t in (1, 2, 3) for v in (1, 2, 3, 4)]
bodies = []
for example in held_out:
    row = meta[example.text]
    bodies.append(json.dumps({
        "type": TYPES[row["type"]],
        "channel": row["channel"],
        "content": example.text,
        "region_code": rng.choice(streets),
        "address": "基准市某街道" + str(rng.randint(1, 300)) + "号",
        "caller_name": rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["先生", "女士"]),
        "caller_phone": "13" + str(rng.randint(0, 9)) + f"{rng.randint(0, 99999999):08d}",
    }, ensure_ascii=False))
rng.shuffle(bodies)
print(json.dumps({"tokens": tokens, "bodies": bodies}))
"""

TAKE_IN_LUA = r"""
local tokens = %(tokens)s
local bodies = %(bodies)s
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(%(seed)d + tid)
end
request = function()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. tokens[math.random(1, #tokens)]
  return wrk.format("POST", "/api/v1/hotline/tickets", headers, bodies[math.random(1, #bodies)])
end
"""

BARE_LUA = r"""
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"content":"基准诉求' .. counter .. '","region_code":"339902001001"}'
  return wrk.format("POST", "/notes", {["Content-Type"] = "application/json"}, body)
end
"""

# One process, the same database: where the time of one request goes.
BREAKDOWN = r"""
import json, time
import django
django.setup()
from django.db import connection
from django.test import Client
import yiwang.hotline.services.pipeline as pipeline

tokens, bodies = json.loads(open(%(world)r, encoding="utf-8").read())
client = Client(headers={"Authorization": "Bearer " + tokens[0]}, HTTP_HOST="127.0.0.1")
sql = {"n": 0, "s": 0.0}

def timed(execute, sql_text, params, many, context):
    start = time.perf_counter()
    try:
        return execute(sql_text, params, many, context)
    finally:
        sql["n"] += 1
        sql["s"] += time.perf_counter() - start

classify = {"s": 0.0}
original = pipeline.suggestions_for

def suggestions_for(text, k=3):
    start = time.perf_counter()
    try:
        return original(text, k)
    finally:
        classify["s"] += time.perf_counter() - start

pipeline.suggestions_for = suggestions_for  # timed, not replaced
for body in bodies[:50]:  # warm: model, calendar, code paths
    client.post("/api/v1/hotline/tickets", body, content_type="application/json")
runs = 300
sql["n"] = sql["s"] = classify["s"] = 0
start = time.perf_counter()
with connection.execute_wrapper(timed):
    for body in bodies[50:50 + runs]:
        response = client.post("/api/v1/hotline/tickets", body, content_type="application/json")
        assert response.status_code == 201, response.content[:300]
total = time.perf_counter() - start
print(json.dumps({
    "ms": total / runs * 1000,
    "statements": sql["n"] / runs,
    "sql_ms": sql["s"] / runs * 1000,
    "classify_ms": classify["s"] / runs * 1000,
}))
"""

OUTCOMES_SQL = """
SELECT
  count(*) FILTER (WHERE status = 'dispatched'),
  count(*) FILTER (WHERE status = 'accepted' AND category_id IS NULL),
  count(*) FILTER (WHERE status = 'accepted' AND category_id IS NOT NULL),
  count(*) FILTER (WHERE status = 'not_accepted'),
  count(*)
FROM hotline_ticket
"""


def _lua(text: str) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8")  # noqa: SIM115
    handle.write(text)
    handle.close()
    return handle.name


def _lua_strings(values: list[str]) -> str:
    assert not any("]==]" in v for v in values)
    return "{" + ",".join(f"[==[{v}]==]" for v in values) + "}"


def _warm(url: str, tokens: list[str], bodies: list[str], *, deadline_s: float = 120.0) -> None:
    """Until a round of 32 requests (16 at a time) all answer 201 within a second: every worker
    has imported the project and loaded the model (the first request of a worker takes
    seconds on a busy machine, longer than wrk's timeout)."""

    def one(n: int) -> tuple[int, float]:
        request = urllib.request.Request(
            url,
            data=bodies[n % len(bodies)].encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {tokens[n % len(tokens)]}",
            },
            method="POST",
        )
        start = time.monotonic()
        with urllib.request.urlopen(request, timeout=60) as response:  # nosec B310
            return response.status, time.monotonic() - start

    deadline = time.monotonic() + deadline_s
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        while time.monotonic() < deadline:
            answers = list(pool.map(one, range(2 * CONNECTIONS)))
            if all(status == 201 and took < 1.0 for status, took in answers):
                return
    sys.exit("the server did not warm up within two minutes")


def _psql(query: str) -> str:
    return subprocess.run(
        ["psql", "-tAc", query, DATABASE], env=pg_env(), capture_output=True, text=True, check=True
    ).stdout.strip()


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="yiwang-bench-hotline-"))
    model = workdir / "hotline-model.npz"
    _url, env = migrated_database(DATABASE)
    # One thread per worker for numpy/scipy: the workers already share the two cores.
    env.update(
        YIWANG_HOTLINE_MODEL_PATH=str(model),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    world = run_setup(SETUP % {"agents": AGENTS, "model": str(model), "seed": SEED}, env)
    # Statistics, as autovacuum would have gathered them in production (it is off here).
    _psql("ANALYZE")
    world_file = workdir / "world.json"
    world_file.write_text(json.dumps([world["tokens"], world["bodies"]]), encoding="utf-8")
    script = _lua(
        TAKE_IN_LUA
        % {
            "tokens": _lua_strings(world["tokens"]),
            "bodies": _lua_strings(world["bodies"]),
            "seed": SEED,
        }
    )
    with gunicorn("config.wsgi:application", env, workers=WORKERS) as port:
        url = f"http://127.0.0.1:{port}/api/v1/hotline/tickets"
        _warm(url, world["tokens"], world["bodies"])
        wrk_rps_p99(url, script=script, seconds=3, connections=CONNECTIONS, check=False)
        rps, p99 = wrk_rps_p99(url, script=script, seconds=SECONDS, connections=CONNECTIONS)
    dispatched, waiting, no_rule, referred, total = (int(v) for v in _psql(OUTCOMES_SQL).split("|"))
    note(
        f"ours: {rps:.0f} tickets/s taken in, classified and dispatched, p99 {p99:.1f} ms "
        f"({CONNECTIONS} connections, gunicorn {WORKERS} sync workers, {total} tickets written "
        f"in all); goal ≥ {GOAL:.0f}/s: " + ("met" if rps >= GOAL else "NOT met")
    )
    note(
        f"outcomes over {len(world['bodies'])} held-out demands sent at random: dispatched "
        f"{dispatched / total:.1%}, left for the agent to confirm (confidence < 0.6) "
        f"{waiting / total:.1%}, 不予受理 referred {referred / total:.1%}, no rule "
        f"{no_rule / total:.1%}"
    )

    out = subprocess.run(
        [sys.executable, "-c", BREAKDOWN % {"world": str(world_file)}],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cost = json.loads(out.strip().splitlines()[-1])
    rest = cost["ms"] - cost["sql_ms"] - cost["classify_ms"]
    note(
        f"one request in one process (Django test client, no HTTP server): {cost['ms']:.2f} ms = "
        f"{cost['statements']:.0f} SQL statements {cost['sql_ms']:.2f} ms (round trips to "
        f"PostgreSQL incl. its work) + classifier {cost['classify_ms']:.2f} ms + the rest "
        f"{rest:.2f} ms (Django, ninja/pydantic, validation, SM3 of the ledger, JSON)"
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
        url = f"http://127.0.0.1:{port}/notes"
        wrk_rps_p99(url, script=bare, seconds=3, connections=CONNECTIONS, check=False)
        bare_rps, bare_p99 = wrk_rps_p99(url, script=bare, seconds=SECONDS, connections=CONNECTIONS)
    note(f"bare one-insert endpoint: {bare_rps:.0f} req/s, p99 {bare_p99:.1f} ms")
    result("hotline_intake", rps, "tickets/s", bare_rps, "req/s")


if __name__ == "__main__":
    main()
