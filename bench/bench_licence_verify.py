"""Public licence verification over HTTP: ``GET /api/v1/licences/verify?licence_id=…&digest=…``
(what a phone does after scanning a licence's QR code) against gunicorn + PostgreSQL.

World: 1,000 licences issued by ``yiwang.licences.services.issue`` (one department, one licence
type, 100 holders; see bench_licence_issue). wrk, 16 connections, 2 threads, 10 s after a 3 s
warm-up, each thread walking the 1,000 (id, first 16 hex of the document's SM3) pairs round-robin
from its own offset; every answer must be 200 and a sample is checked to say ``valid``. Each
request does the real work: the id's GB/T 36904 check digit, the licence with its type, issuer
and key (one indexed read), the digest and status checks, the masked public answer.

Reference, same run, same server settings (gunicorn 4 sync workers): the bare django-ninja
endpoint of bench/bare doing one indexed read (``GET /accounts/{aid}`` on pgbench_accounts, scale
1, created in the same database), the floor of "HTTP + one indexed read" here. ours = p99 in ms,
ref = the bare endpoint's p99; requests/s of both in the notes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import gunicorn, migrated_database, note, pg_env, result, wrk_rps_p99

LICENCES = int(os.environ.get("YIWANG_BENCH_VERIFY_LICENCES", "1000"))
SECONDS = int(os.environ.get("YIWANG_BENCH_SECONDS", "10"))
CONNECTIONS = 16
WORKERS = 4
DATABASE = "yiwang_bench_licence_verify"
PATH = "/api/v1/licences/verify"
PGBENCH_SCALE = 1  # 100,000 pgbench_accounts rows

ROUND_ROBIN_LUA = r"""
local paths = %(paths)s
local threads = {}
local i = 0
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  i = (tid * 499) %% #paths
end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""

BARE_LUA = r"""
math.randomseed(42)
request = function()
  return wrk.format("GET", "/accounts/" .. math.random(1, %(rows)d))
end
"""


def _lua(text: str) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    handle.write(text)
    handle.close()
    return handle.name


def _issue(count: int) -> list[tuple[str, str]]:
    """``count`` licences issued through the service; their (licence id, 16-hex digest)."""
    from django.db import connection

    from bench.bench_licence_issue import issue_one, make_world

    world = make_world()
    pairs = []
    for n in range(count):
        licence = issue_one(world, n)
        pairs.append((licence.licence_id, licence.digest_short))
    connection.close()
    return pairs


def _wait_for_answer(url: str) -> None:
    """One answered request (the workers have booted)."""
    with urllib.request.urlopen(url, timeout=120) as answer:  # nosec B310
        answer.read()


def _check_answers(port: int, pairs: list[tuple[str, str]]) -> None:
    """A few requests by hand: 200 and ``valid`` (wrk only sees status codes). Generous timeout:
    the first answers wait for the workers to boot."""
    for licence_id, digest in pairs[:: max(1, len(pairs) // 5)]:
        url = f"http://127.0.0.1:{port}{PATH}?licence_id={licence_id}&digest={digest}"
        try:
            with urllib.request.urlopen(url, timeout=120) as answer:  # nosec B310
                body = json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            sys.exit(f"{PATH} answered {exc.code}: {exc.read()[:500]!r}")
        if body.get("result") != "valid":
            sys.exit(f"{PATH} did not say valid for {licence_id}: {body}")


def main() -> None:
    _url, env = migrated_database(DATABASE)
    os.environ.update(env)

    import django

    django.setup()
    pairs = _issue(LICENCES)
    subprocess.run(
        ["pgbench", "-i", "-q", "-s", str(PGBENCH_SCALE), DATABASE],
        env=pg_env(),
        check=True,
        capture_output=True,
    )

    paths = "{" + ",".join(f'"{PATH}?licence_id={i}&digest={d}"' for i, d in pairs) + "}"
    ours_lua = _lua(ROUND_ROBIN_LUA % {"paths": paths})
    with gunicorn("config.wsgi:application", env, workers=WORKERS) as port:
        url = f"http://127.0.0.1:{port}{PATH}"
        _check_answers(port, pairs)
        wrk_rps_p99(url, script=ours_lua, seconds=3, connections=CONNECTIONS, check=False)
        rps, p99 = wrk_rps_p99(url, script=ours_lua, seconds=SECONDS, connections=CONNECTIONS)
    note(
        f"ours: {rps:.0f} verifications/s, p99 {p99:.1f} ms ({CONNECTIONS} connections, "
        f"gunicorn {WORKERS} sync workers, {len(pairs)} licences round-robin, {SECONDS} s)"
    )

    bare_env = dict(env, DJANGO_SETTINGS_MODULE="bench.bare.settings")
    bare_lua = _lua(BARE_LUA % {"rows": PGBENCH_SCALE * 100000})
    with gunicorn("bench.bare.wsgi:application", bare_env, workers=WORKERS) as port:
        url = f"http://127.0.0.1:{port}/accounts/1"
        _wait_for_answer(url)
        wrk_rps_p99(url, script=bare_lua, seconds=3, connections=CONNECTIONS, check=False)
        bare_rps, bare_p99 = wrk_rps_p99(
            url, script=bare_lua, seconds=SECONDS, connections=CONNECTIONS
        )
    note(f"bare one-indexed-read endpoint: {bare_rps:.0f} req/s, p99 {bare_p99:.1f} ms")
    note(
        f"verification requests/s: ours {rps:.0f}, bare {bare_rps:.0f} (ratio {rps / bare_rps:.3g})"
    )
    result("licence_verify_p99", p99, "ms", bare_p99, "ms")


if __name__ == "__main__":
    main()
