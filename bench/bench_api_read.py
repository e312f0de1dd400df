"""The API ceiling: a bare django-ninja endpoint doing one indexed PostgreSQL read, against raw
`pgbench -S` (the same primary-key SELECT with no HTTP, no Python) on the same database and
machine. Both run 15 s with 8 concurrent clients over loopback; gunicorn runs 4 sync workers and
wrk 2 threads on the same 2 cores. Every later endpoint benchmark is compared with this figure.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import gunicorn, note, pg_env, recreate_database, result, wrk

SCALE = 10  # 1,000,000 pgbench_accounts rows
SECONDS = 15
CLIENTS = 8


def main() -> None:
    url = recreate_database("yiwang_bench")
    env = pg_env()
    subprocess.run(
        ["pgbench", "-i", "-q", "-s", str(SCALE), "yiwang_bench"],
        env=env,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        ["pgbench", "-S", "-n", "-c", str(CLIENTS), "-j", "2", "-T", str(SECONDS), "yiwang_bench"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    note(f"pgbench -S: {tps:.0f} transactions/s ({CLIENTS} clients, {SECONDS} s, scale {SCALE})")

    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    lua.write(
        "math.randomseed(42)\n"
        f"request = function() return wrk.format('GET', '/accounts/' .. math.random(1, {SCALE * 100000})) end\n"
    )
    lua.close()
    server_env = dict(env, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="bench.bare.settings")
    with gunicorn("bench.bare.wsgi:application", server_env, workers=4) as port:
        wrk(f"http://127.0.0.1:{port}/accounts/1", seconds=3, connections=CLIENTS, script=lua.name)
        rps = wrk(
            f"http://127.0.0.1:{port}/accounts/1",
            seconds=SECONDS,
            connections=CLIENTS,
            script=lua.name,
        )
    note(
        f"bare django-ninja endpoint: {rps:.0f} requests/s (gunicorn 4 sync workers, wrk 2 threads)"
    )
    result("api_read_ceiling", rps, "req/s", tps, "tps")


if __name__ == "__main__":
    main()
