#!/usr/bin/env python
"""Run every benchmark in bench/ and write docs/performance.md.

Each script ``bench/bench_*.py`` prints, as its last line,
``RESULT <name> ours=<x> <unit> ref=<y> <unit> ratio=<x/y>`` where ``ref`` is the reference
measured in the same run. This runner runs each in its own process (so one failure does not hide
the others), collects the RESULT lines and writes them with the machine, versions, command and
date into docs/performance.md.

    python bench/run.py                 # all benchmarks
    python bench/run.py api_read        # only scripts whose name contains "api_read"
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
REPORT = ROOT / "docs" / "performance.md"
RESULT_RE = re.compile(
    r"^RESULT (?P<name>\S+) ours=(?P<ours>[\d.eE+-]+) (?P<ours_unit>\S+) "
    r"ref=(?P<ref>[\d.eE+-]+) (?P<ref_unit>\S+) ratio=(?P<ratio>[\d.eE+-]+)\s*$"
)


@dataclass
class Outcome:
    script: str
    lines: list[str]  # every RESULT line the script printed (or one FAILED line)
    ok: bool
    seconds: float
    notes: list[str]


def _cmd_output(*args: str) -> str:
    if not shutil.which(args[0]):
        return "not installed"
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def machine() -> list[tuple[str, str]]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import django

    return [
        ("CPU", f"{cpu} × {os.cpu_count()} cores"),
        ("Memory", mem),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("PostgreSQL", _cmd_output("psql", "--version")),
        ("pgbench", _cmd_output("pgbench", "--version")),
        ("wrk", _cmd_output("wrk", "--version")),
    ]


def run_script(path: Path) -> Outcome:
    start = dt.datetime.now()
    proc = subprocess.run(
        [sys.executable, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    seconds = (dt.datetime.now() - start).total_seconds()
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr[-4000:])
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
    results = [ln for ln in lines if RESULT_RE.match(ln)]
    notes = [ln[len("NOTE ") :] for ln in lines if ln.startswith("NOTE ")]
    ok = proc.returncode == 0 and bool(results)
    if not ok:
        last = lines[-1] if lines else ""
        results = [f"FAILED (exit {proc.returncode}): {last or proc.stderr.strip()[-300:]}"]
    return Outcome(path.stem, results, ok, seconds, notes)


def _kept_from_last_report(run: set[str]) -> tuple[list[str], list[str]]:
    """Rows and notes of scripts not run this time (a subset run keeps the others' figures)."""
    if not REPORT.exists():
        return [], []
    rows, notes = [], []
    for line in REPORT.read_text(encoding="utf-8").splitlines():
        row = re.match(r"^\| [^|]+ \| (bench_\w+) \|", line)
        if row and row.group(1) not in run:
            rows.append(line)
        note = re.match(r"^- \*\*(bench_\w+)\*\*: ", line)
        if note and note.group(1) not in run:
            notes.append(line)
    return rows, notes


def write_report(outcomes: list[Outcome], argv: list[str]) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows, notes = _kept_from_last_report({o.script for o in outcomes})
    for outcome in outcomes:
        for line in outcome.lines:
            match = RESULT_RE.match(line)
            if match:
                g = match.groupdict()
                rows.append(
                    f"| {g['name']} | {outcome.script} | {g['ours']} {g['ours_unit']} | "
                    f"{g['ref']} {g['ref_unit']} | {g['ratio']} | {outcome.seconds:.0f} s |"
                )
            else:
                rows.append(
                    f"| {outcome.script} | {outcome.script} | {line} | | | "
                    f"{outcome.seconds:.0f} s |"
                )
    notes += [f"- **{o.script}**: {n}" for o in outcomes for n in o.notes]
    order = {p.stem: i for i, p in enumerate(sorted(BENCH.glob("bench_*.py")))}

    def script_of(line: str) -> int:
        found = re.match(r"^(?:\| [^|]+ \| |- \*\*)(bench_\w+)", line)
        return order.get(found.group(1), len(order)) if found else len(order)

    rows.sort(key=script_of)
    notes.sort(key=script_of)
    text = [
        "# Performance",
        "",
        "Written by `make bench` (`python bench/run.py`); do not edit by hand — edit the scripts in",
        "`bench/` and run it again. Each benchmark measures ours and a reference in the same run on",
        "the same machine; `ratio` = ours / ref.",
        "",
        f"Last run: `{' '.join(['python', 'bench/run.py', *argv])}` on {now} (a run of some"
        " benchmarks keeps the other rows from earlier runs).",
        "",
        "| Machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in machine()],
        "",
        "| Benchmark | Script | Ours | Reference | Ratio | Took |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    if notes:
        text += ["## Notes", "", *notes, ""]
    text += ["## What each benchmark measures", ""]
    for path in sorted(BENCH.glob("bench_*.py")):
        doc = (path.read_text(encoding="utf-8").split('"""')[1:2] or [""])[0].strip()
        text += [f"### {path.stem}", "", doc, ""]
    REPORT.write_text("\n".join(text), encoding="utf-8")


def main(argv: list[str]) -> int:
    scripts = sorted(BENCH.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(a in s.stem for a in argv)]
    outcomes = [run_script(s) for s in scripts]
    write_report(outcomes, argv)
    print(f"\nwrote {REPORT.relative_to(ROOT)}")
    for outcome in outcomes:
        for line in outcome.lines:
            print(line)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
