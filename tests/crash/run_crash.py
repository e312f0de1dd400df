#!/usr/bin/env python3
"""Crash consistency test (``make crash``; not part of the default suite).

What it does, on 127.0.0.1 only, with a PostgreSQL server of its own:

1. creates a throw-away PostgreSQL cluster under /tmp (``initdb`` as the ``postgres`` user, its own
   port, trust auth on the loopback) — the shared server on 5432 is never touched, so killing
   "the database" here breaks nobody else's work;
2. migrates a fresh database with production settings (DEBUG off; random keys), seeds a counter
   clerk with an API token, starts gunicorn (4 sync workers, ``--timeout 30``);
3. runs a bounded load: 8 client threads, each registering distinct walk-in applicants
   (``POST /api/v1/accounts/persons``) with an ``Idempotency-Key`` per applicant, retrying on 503
   or a connection error with the *same* key until the write is acknowledged (201);
4. mid-load, ``kill -9`` one gunicorn worker; later ``kill -9`` the postmaster and then every
   process of the cluster (a crash of the database server: in-flight transactions die
   uncommitted), keeps the clients running against the dead database for a few seconds, then
   restarts the cluster (WAL crash recovery) and lets the clients converge;
5. checks: every acknowledged write exists exactly once and nothing else was written (persons,
   idempotency records, ledger registrations), ``manage.py verify_ledger`` exits 0, no response
   was a 500, every response during the outage was 503 with ``Retry-After``, connection errors
   only right after the worker kill.

Writes the report to docs/crash-consistency.md and exits non-zero on any violation. The cluster is
stopped and removed in a ``finally`` block whatever happens (kept only with ``--keep``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from yiwang.core.identifiers import make_resident_id  # noqa: E402  (pure function, no settings)

PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
REPORT = ROOT / "docs" / "crash-consistency.md"

CLIENTS = 8
WORKERS = 4
LOAD_SECONDS = 40.0
MAX_WRITES_PER_CLIENT = 250  # caps the request count: at most 2,000 writes
KILL_WORKER_AT = 10.0
KILL_DATABASE_AT = 20.0
OUTAGE_SECONDS = 5.0
CONVERGE_SECONDS = 90.0  # after the load: time for every started write to be acknowledged
RETRY_SLEEP = 0.5  # faster than Retry-After (5 s), to observe the outage densely
HANG_UP_EVERY = 10  # every 10th write: send it, hang up without reading the answer, then retry
CONNECTION_ERROR_GRACE = 15.0  # connection errors are expected this long after the worker kill
# A request that committed just before the crash may still be answered 201 just after it.
OUTAGE_GRACE = 0.5
SEED = 20250607
SM2_ORDER = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123


# --- small helpers ---------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[crash {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port(preferred: int | None = None) -> int:
    for port in [preferred] if preferred else []:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …  — comm may contain spaces: split after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def pg_bin_dir() -> Path:
    """/usr/lib/postgresql/<version>/bin for the newest version in /etc/postgresql."""
    versions = sorted(
        (p.name for p in Path("/etc/postgresql").iterdir() if p.name.replace(".", "").isdigit()),
        key=lambda v: [int(x) for x in v.split(".")],
    )
    if not versions:
        raise SystemExit("no PostgreSQL found under /etc/postgresql")
    return Path("/usr/lib/postgresql") / versions[-1] / "bin"


def as_postgres(command: list[str]) -> list[str]:
    """initdb and the server refuse to run as root: run them as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


# --- the database server -----------------------------------------------------------------------------


class Cluster:
    """A private PostgreSQL cluster under ``workdir``: initdb, start, crash, restart, stop."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.bin = pg_bin_dir()
        self.data = workdir / "pgdata"
        self.socket_dir = workdir / "pgsocket"
        self.logfile = workdir / "postgres.log"
        self.port = port

    def init(self) -> None:
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.data.parent, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        self._run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=40 -c fsync=on -c synchronous_commit=on"
        )
        self._run(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.logfile),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )

    def createdb(self, name: str) -> None:
        self._run(
            [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
            + [name]
        )

    def postmaster_pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        try:
            return int(pidfile.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def crash(self) -> tuple[int, int]:
        """kill -9 the postmaster, then every process it had started. Returns (pid, children)."""
        pid = self.postmaster_pid()
        if pid is None or not alive(pid):
            raise RuntimeError("the postmaster is not running")
        children = children_of(pid)
        os.kill(pid, signal.SIGKILL)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(alive(p) for p in [pid, *children]) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pid, len(children)

    def stop(self) -> None:
        pid = self.postmaster_pid()
        if pid is None or not alive(pid):
            return
        subprocess.run(
            as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
            timeout=60,
            cwd=self.data.parent,
        )

    def _run(self, command: list[str]) -> None:
        result = subprocess.run(
            as_postgres(command),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.data.parent,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}")


# --- the application server --------------------------------------------------------------------------


def crash_environment(workdir: Path, pg_port: int) -> dict[str, str]:
    """Production settings from random values, plain http on the loopback."""
    while True:
        sm2 = secrets.token_hex(32)
        if 1 <= int(sm2, 16) <= SM2_ORDER - 2:
            break
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "YIWANG_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pg_port}/yiwang_crash",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "YIWANG_SM4_KEY": secrets.token_hex(16),
            "YIWANG_BLIND_INDEX_KEY": secrets.token_hex(32),
            "YIWANG_LEDGER_SM2_PRIVATE_KEY": sm2,
            "YIWANG_LEDGER_CHECKPOINT_EVERY": "50",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "YIWANG_VAR_DIR": str(workdir / "var"),
            "YIWANG_MEDIA_ROOT": str(workdir / "media"),
            "DJANGO_LOG_LEVEL": "ERROR",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def crash_db(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, str(Path(__file__).with_name("crash_db.py")), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


class Gunicorn:
    def __init__(self, env: dict[str, str], port: int, logfile: Path) -> None:
        self.port = port
        self.logfile = logfile.open("w")
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(WORKERS),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited at start; see gunicorn.log")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/api/v1/health")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not become ready")

    def kill_one_worker(self, rng: random.Random) -> int:
        workers = sorted(children_of(self.process.pid))
        if not workers:
            raise RuntimeError("gunicorn has no workers")
        victim = rng.choice(workers)
        os.kill(victim, signal.SIGKILL)
        return victim

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.logfile.close()


# --- the clients -----------------------------------------------------------------------------------


@dataclass
class Observation:
    at: float  # seconds since the load started
    client: int
    status: int | None  # None: connection error
    retry_after: str | None = None
    code: str = ""
    error: str = ""


@dataclass
class Load:
    port: int
    token: str
    started: float = field(default_factory=time.monotonic)
    observations: list[Observation] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    hang_ups: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.started

    def post(self, body: bytes, key: str) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=35)
        try:
            connection.request(
                "POST",
                "/api/v1/accounts/persons",
                body=body,
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": key,
                    "Connection": "close",
                },
            )
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def send_and_hang_up(self, body: bytes, key: str) -> None:
        """A client whose answer is lost (timeout, dropped Wi-Fi): the server still does the work."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=35)
        try:
            connection.request(
                "POST",
                "/api/v1/accounts/persons",
                body=body,
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": key,
                    "Connection": "close",
                },
            )
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        with self.lock:
            self.hang_ups += 1
        time.sleep(0.2)

    def client(self, number: int, load_until: float, converge_until: float) -> None:
        rng = random.Random(SEED * 100 + number)
        for n in range(MAX_WRITES_PER_CLIENT):
            if self.now() >= load_until:
                return
            key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=number * MAX_WRITES_PER_CLIENT + n)
            id_number = make_resident_id("330106", birth, 100 + number)
            body = json.dumps(
                {"name": f"压测{number}号{n}", "id_number": id_number}, ensure_ascii=False
            ).encode()
            if n % HANG_UP_EVERY == HANG_UP_EVERY // 2:
                self.send_and_hang_up(body, key)
            self.write_until_acknowledged(number, key, id_number, body, converge_until)

    def write_until_acknowledged(
        self, number: int, key: str, id_number: str, body: bytes, converge_until: float
    ) -> None:
        attempts = 0
        while self.now() < converge_until:
            attempts += 1
            try:
                status, headers, content = self.post(body, key)
            except (OSError, http.client.HTTPException) as exc:
                self.observe(Observation(self.now(), number, None, error=type(exc).__name__))
                time.sleep(0.2)
                continue
            code = ""
            if status >= 400:
                try:
                    code = json.loads(content).get("code", "")
                except ValueError:
                    code = "(not json)"
            self.observe(Observation(self.now(), number, status, headers.get("Retry-After"), code))
            if status == 201:
                with self.lock:
                    self.acks.append(
                        {
                            "key": key,
                            "id_number": id_number,
                            "person_id": json.loads(content)["id"],
                            "replayed": headers.get("Idempotent-Replayed") == "true",
                            "attempts": attempts,
                        }
                    )
                return
            if status == 503:
                time.sleep(RETRY_SLEEP)
                continue
            with self.lock:
                self.failures.append(f"key {key}: unexpected {status} {code}")
            return
        with self.lock:
            self.failures.append(f"key {key}: never acknowledged ({attempts} attempts)")

    def observe(self, observation: Observation) -> None:
        with self.lock:
            self.observations.append(observation)


# --- the run -------------------------------------------------------------------------------------


def run(keep: bool) -> int:
    rng = random.Random(SEED)
    workdir = Path(tempfile.mkdtemp(prefix="yiwang-crash-"))
    workdir.chmod(0o755)
    cluster = Cluster(workdir, free_port(55432))
    gunicorn: Gunicorn | None = None
    timeline: list[tuple[float, str]] = []
    result: dict[str, Any] = {"started": dt.datetime.now().astimezone().isoformat("T", "seconds")}
    violations: list[str] = []
    ok = False
    try:
        log(f"private PostgreSQL cluster in {workdir} on port {cluster.port}")
        cluster.init()
        cluster.start()
        cluster.createdb("yiwang_crash")
        env = crash_environment(workdir, cluster.port)
        migrated = manage(env, "migrate", "--no-input")
        if migrated.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{migrated.stdout}{migrated.stderr}")
        seeded = crash_db(env, "seed")
        if seeded.returncode != 0:
            raise RuntimeError(f"seed failed:\n{seeded.stdout}{seeded.stderr}")
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])

        port = free_port()
        gunicorn = Gunicorn(env, port, workdir / "gunicorn.log")
        gunicorn.wait_ready()
        log(f"gunicorn ({WORKERS} sync workers) on 127.0.0.1:{port}; load starts")

        load = Load(port=port, token=seed["token"])
        converge_until = LOAD_SECONDS + CONVERGE_SECONDS
        clients = [
            threading.Thread(target=load.client, args=(n, LOAD_SECONDS, converge_until))
            for n in range(CLIENTS)
        ]
        for thread in clients:
            thread.start()

        time.sleep(max(0.0, KILL_WORKER_AT - load.now()))
        victim = gunicorn.kill_one_worker(rng)
        worker_killed_at = load.now()
        timeline.append((worker_killed_at, f"kill -9 gunicorn worker {victim}"))
        log(timeline[-1][1])

        time.sleep(max(0.0, KILL_DATABASE_AT - load.now()))
        postmaster, processes = cluster.crash()
        database_down_at = load.now()
        timeline.append(
            (database_down_at, f"kill -9 postmaster {postmaster} and its {processes} processes")
        )
        log(timeline[-1][1])
        time.sleep(OUTAGE_SECONDS)
        restart_begun_at = load.now()
        cluster.start()
        database_up_at = load.now()
        timeline.append(
            (
                database_up_at,
                f"PostgreSQL restarted (crash recovery {database_up_at - restart_begun_at:.1f} s)",
            )
        )
        log(timeline[-1][1])

        for thread in clients:
            thread.join(timeout=converge_until + 60)
        timeline.append((load.now(), "all clients done"))
        log(timeline[-1][1])

        # --- checks -------------------------------------------------------------------------
        statuses = Counter(
            "connection error" if o.status is None else str(o.status) for o in load.observations
        )
        if statuses.get("500"):
            violations.append(f"{statuses['500']} responses were 500")
        violations.extend(load.failures)
        during_outage = [
            o
            for o in load.observations
            if database_down_at + OUTAGE_GRACE <= o.at <= restart_begun_at
        ]
        outage_statuses = Counter(
            "connection error" if o.status is None else str(o.status) for o in during_outage
        )
        if not any(o.status == 503 for o in during_outage):
            violations.append("no 503 observed while the database was down")
        for o in during_outage:
            if o.status is not None and o.status != 503:
                violations.append(f"{o.status} at {o.at:.2f} s while the database was down")
        missing_retry_after = [
            o for o in load.observations if o.status == 503 and not o.retry_after
        ]
        if missing_retry_after:
            violations.append(f"{len(missing_retry_after)} 503 responses without Retry-After")
        stray_connection_errors = [
            o
            for o in load.observations
            if o.status is None
            and not worker_killed_at - 0.5 <= o.at <= worker_killed_at + CONNECTION_ERROR_GRACE
        ]
        if stray_connection_errors:
            violations.append(
                f"{len(stray_connection_errors)} connection errors outside the worker restart "
                f"(first at {stray_connection_errors[0].at:.2f} s)"
            )

        replays = sum(a["replayed"] for a in load.acks)
        if load.hang_ups and not replays:
            violations.append("no retry was answered by a replay: the replay path went untested")

        gunicorn.stop()
        gunicorn = None
        acks_file = workdir / "acks.json"
        acks_file.write_text(
            json.dumps({"acks": load.acks, "principal": seed["principal"]}), encoding="utf-8"
        )
        verified = crash_db(env, "verify", str(acks_file))
        if verified.stdout.strip():
            database = json.loads(verified.stdout.strip().splitlines()[-1])
        else:
            database = {"violations": [f"verify crashed: {verified.stderr[-2000:]}"]}
        violations.extend(database["violations"])
        ledger = manage(env, "verify_ledger")
        if ledger.returncode != 0:
            violations.append(f"verify_ledger exited {ledger.returncode}")

        result.update(
            {
                "clients": CLIENTS,
                "workers": WORKERS,
                "timeline": timeline,
                "requests": len(load.observations),
                "statuses": dict(sorted(statuses.items())),
                "outage_window": (database_down_at, restart_begun_at),
                "outage_statuses": dict(sorted(outage_statuses.items())),
                "acknowledged": len(load.acks),
                "acknowledged_by_replay": replays,
                "hang_ups": load.hang_ups,
                "retried_writes": sum(a["attempts"] > 1 for a in load.acks),
                "max_attempts": max((a["attempts"] for a in load.acks), default=0),
                "database": {k: v for k, v in database.items() if k != "violations"},
                "verify_ledger": ledger.stdout.strip().splitlines(),
                "violations": violations,
            }
        )
        ok = not violations
        return 0 if ok else 1
    except Exception as exc:
        violations.append(f"the run itself failed: {exc}")
        result.update({"timeline": timeline, "violations": violations})
        raise
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        try:
            cluster.stop()
        finally:
            write_report(result)
            if keep or not ok:
                log(f"kept {workdir} (logs: postgres.log, gunicorn.log)")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
            log("PASSED" if ok else f"FAILED: {violations}")


def write_report(result: dict[str, Any]) -> None:
    violations = result.get("violations", [])
    lines = [
        "# Crash consistency",
        "",
        "Generated by `make crash` (tests/crash/run_crash.py); see docs/testing.md for the method.",
        "",
        f"- Run: {result.get('started', '?')} on 127.0.0.1, a private PostgreSQL cluster "
        f"(production settings, gunicorn {result.get('workers', WORKERS)} sync workers, "
        f"{result.get('clients', CLIENTS)} client threads)",
        f"- Result: **{'passed' if not violations else 'FAILED'}**",
        "",
        "## Timeline (seconds since the load started)",
        "",
    ]
    lines += [f"- {at:6.2f} s — {what}" for at, what in result.get("timeline", [])]
    if "requests" in result:
        window = result["outage_window"]
        database = result["database"]
        lines += [
            "",
            "## Responses",
            "",
            f"- Requests sent: {result['requests']}",
            "- By status: " + ", ".join(f"{k} × {v}" for k, v in result["statuses"].items()),
            f"- While the database was down ({window[0]:.2f}–{window[1]:.2f} s): "
            + ", ".join(f"{k} × {v}" for k, v in result["outage_statuses"].items()),
            f"- Writes acknowledged (201): {result['acknowledged']}; "
            f"{result['retried_writes']} needed a retry; at most {result['max_attempts']} attempts",
            f"- Answers deliberately lost (the client hung up after sending, every "
            f"{HANG_UP_EVERY}th write): {result['hang_ups']}; writes acknowledged by a replay "
            f"(`Idempotent-Replayed: true`, the first attempt had committed): "
            f"{result['acknowledged_by_replay']}",
            "",
            "## Database afterwards",
            "",
            f"- Persons: {database['persons']} (acknowledged: {database['acknowledged']}); "
            f"ID numbers stored twice: {database['duplicate_id_numbers']}",
            f"- Idempotency records: {database['idempotency_records']}; ledger registrations: "
            f"{database['ledger_registrations']} (ledger entries in all: "
            f"{database['ledger_entries']})",
            "- `manage.py verify_ledger`:",
            "",
            "```",
            *result["verify_ledger"],
            "```",
        ]
    lines += ["", "## Violations", ""]
    lines += [f"- {v}" for v in violations] or ["None."]
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"report written to {REPORT.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    return run(parser.parse_args().keep)


if __name__ == "__main__":
    raise SystemExit(main())
