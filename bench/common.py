"""Helpers shared by the benchmark scripts: PostgreSQL, servers on loopback, wrk."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}


def result(name: str, ours: float, ours_unit: str, ref: float, ref_unit: str) -> None:
    ratio = ours / ref if ref else float("inf")
    print(f"RESULT {name} ours={ours:.4g} {ours_unit} ref={ref:.4g} {ref_unit} ratio={ratio:.3g}")


def note(text: str) -> None:
    print(f"NOTE {text}", flush=True)


def require(tool: str, debian_package: str) -> str:
    """Path of a command-line tool, installing its Debian package when missing (root on CI)."""
    found = shutil.which(tool)
    if found:
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", debian_package],
        check=False,
        capture_output=True,
    )
    found = shutil.which(tool)
    if not found:
        sys.exit(f"{tool} is required (Debian package {debian_package})")
    return found


def pg_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PGHOST": PG["host"], "PGPORT": PG["port"], "PGUSER": PG["user"]})
    return env


def pg_ready() -> bool:
    return (
        subprocess.run(
            ["pg_isready", "-q", "-h", PG["host"], "-p", PG["port"]],
            check=False,
        ).returncode
        == 0
    )


def recreate_database(name: str) -> str:
    if not pg_ready():
        sys.exit("PostgreSQL is not reachable on 127.0.0.1:5432 (run `make pg`)")
    env = pg_env()
    subprocess.run(["dropdb", "--if-exists", "--force", name], env=env, check=True)
    subprocess.run(["createdb", name], env=env, check=True)
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@contextlib.contextmanager
def gunicorn(wsgi: str, env: dict[str, str], workers: int = 4) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            wsgi,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wrk(url: str, *, seconds: int, connections: int, threads: int = 2, script: str = "") -> float:
    """Requests per second measured by wrk against a loopback URL."""
    binary = require("wrk", "wrk")
    args = [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        args += ["-s", script]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if not match:
        sys.exit(f"could not read wrk output:\n{out}")
    if non2xx:
        sys.exit(f"{non2xx.group(1)} requests failed:\n{out}")
    return float(match.group(1))


def migrated_database(name: str) -> tuple[str, dict[str, str]]:
    """A fresh PostgreSQL database ``name`` with the project's migrations applied, and the
    environment (production-like: DEBUG and demo off) that runs the project against it."""
    url = recreate_database(name)
    env = dict(
        pg_env(),
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_DEBUG="0",
        YIWANG_DEMO="0",
        PYTHONPATH=str(ROOT),
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return url, env


def run_setup(script: str, env: dict[str, str]) -> dict:
    """Run a setup script (Django code) in its own process; its last stdout line is JSON."""
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def wrk_p99_ms(out: str) -> float:
    """The 99th-percentile latency in milliseconds from ``wrk --latency`` output."""
    match = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    if match is None:
        sys.exit(f"could not read wrk latency:\n{out}")
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def wrk_rps_p99(
    url: str, *, script: str, seconds: int, connections: int, threads: int = 2, check: bool = True
) -> tuple[float, float]:
    """(requests/s, p99 in ms) measured by ``wrk --latency`` with a Lua ``script``; exits on
    any non-2xx answer or socket error unless ``check`` is false (a warm-up while workers boot)."""
    binary = require("wrk", "wrk")
    args = [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    out = subprocess.run(
        [*args, "-s", script, url], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        sys.exit(f"could not read wrk output:\n{out}")
    for pattern in (r"Non-2xx or 3xx responses:\s+(\d+)", r"Socket errors:.*"):
        failed = re.search(pattern, out)
        if failed and check:
            sys.exit(f"requests failed ({failed.group(0)}):\n{out}")
    return float(match.group(1)), wrk_p99_ms(out)
