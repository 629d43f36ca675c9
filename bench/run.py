"""Every benchmark, one after another, and one table of their figures: `make bench`.

    .venv/bin/python bench/run.py [NAME ...] [--full]

Runs each script (`python bench/<name>.py`) as a subprocess, in a fixed order: mapping,
sync, reconcile, diagnostics, ceiling, dailycap, webhooks, then any other bench/*.py that
writes results (calls `write_results`); mutation.py has its own target (`make mutation`) and
the helpers (common.py, seeding.py, this file) are not benchmarks. NAMEs pick some of them,
still in that order. `--full` is passed to each script that takes it: the issue's sizes
instead of the defaults that keep the whole run under 15 minutes on 2 cores.

Each script prints its own progress and table and writes bench/results/<name>.json; this
then prints one table of every figure beside its target (met: yes / NO), each script's time
and the total, and writes bench/results/summary.json. Exits non-zero only when a script
crashed (non-zero exit) or wrote no results: a missed target is a figure, not a failure.

`--markdown` runs nothing: it prints the last results as the tables of docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, machine  # noqa: E402

ORDER = ["mapping", "sync", "reconcile", "diagnostics", "ceiling", "dailycap", "webhooks"]
NOT_BENCHMARKS = {"run", "common", "seeding", "mutation", "__init__"}


def scripts(bench: Path) -> list[str]:
    """The benchmarks in `bench`, in the order they run."""
    present = {path.stem: path for path in bench.glob("*.py") if path.stem not in NOT_BENCHMARKS}
    others = sorted(
        name
        for name, path in present.items()
        if name not in ORDER and "write_results(" in path.read_text(errors="replace")
    )
    return [name for name in ORDER if name in present] + others


def takes_full(path: Path) -> bool:
    return '"--full"' in path.read_text(errors="replace")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run_one(name: str, *, full: bool, bench: Path, results: Path) -> dict:
    """Run bench/<name>.py, its output passed through; what it did and wrote."""
    path = bench / f"{name}.py"
    out = results / f"{name}.json"
    command = [sys.executable, str(path)]
    if full and takes_full(path):
        command.append("--full")
    started_at = time.time()
    started = time.perf_counter()
    code = subprocess.call(command, cwd=ROOT)  # noqa: S603 - our own scripts
    seconds = round(time.perf_counter() - started, 1)
    entry = {
        "seconds": seconds,
        "exit_code": code,
        "command": " ".join([".venv/bin/python", _shown(path), *command[2:]]),
        "full": "--full" in command,
        "results": _shown(out),
    }
    document = None
    if out.exists() and out.stat().st_mtime >= started_at - 1:
        try:
            document = json.loads(out.read_text())
        except ValueError:
            document = None
    if not isinstance(document, dict) or not isinstance(document.get("checks"), dict):
        entry.update(status="no results", checks={})
        return entry
    checks = {k: v for k, v in document["checks"].items() if isinstance(v, dict)}
    entry.update(status="crashed" if code else "ok", checks=checks)
    return entry


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def table(entries: dict[str, dict]) -> list[str]:
    """Every figure beside its target, then each script's time and status."""
    rows = [("script", "figure", "value", "target", "met")]
    for name, entry in entries.items():
        for figure, check in entry["checks"].items():
            met = "yes" if check.get("met") else "NO"
            rows.append((name, figure, _value(check.get("value")), str(check.get("target")), met))
        if not entry["checks"]:
            rows.append((name, f"({entry['status']})", "", "", "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  "
        f"{r[3]:>{widths[3]}}  {r[4]}"
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    for name, entry in entries.items():
        status = entry["status"] + (f" (exit {entry['exit_code']})" if entry["exit_code"] else "")
        lines.append(f"{name:<{widths[0]}}  {entry['seconds']:>7.1f} s  {status}")
    return lines


def markdown(results: Path, names: list[str]) -> str:
    """The last results of `names` as one Markdown table each (docs/performance.md)."""
    parts = []
    for name in names:
        path = results / f"{name}.json"
        if not path.exists():
            continue
        document = json.loads(path.read_text())
        seconds = (document.get("details") or {}).get("bench_seconds")
        took = f", {seconds:.0f} s" if isinstance(seconds, int | float) else ""
        lines = [
            f"### {name} ({document.get('date', '?')}{took})",
            "",
            "| figure | value | target | met |",
            "|---|---:|---:|---|",
        ]
        for figure, check in document.get("checks", {}).items():
            met = "yes" if check.get("met") else "**NO**"
            lines.append(
                f"| {figure} | {_value(check.get('value'))} | {check.get('target')} | {met} |"
            )
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    available = scripts(BENCH)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(available))
    parser.add_argument("--full", action="store_true", help="the issue's sizes (much longer)")
    parser.add_argument(
        "--markdown", action="store_true", help="print the last results as Markdown; run nothing"
    )
    options = parser.parse_args(argv)
    unknown = [name for name in options.names if name not in available]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}: choose from {', '.join(available)}")
    chosen = [name for name in available if not options.names or name in options.names]
    if options.markdown:
        print(markdown(RESULTS, chosen), end="")
        return 0
    load_before = os.getloadavg()
    started = time.perf_counter()
    entries = {}
    for number, name in enumerate(chosen, 1):
        print(f"\n=== {name} ({number}/{len(chosen)}) ===", flush=True)
        entries[name] = run_one(name, full=options.full, bench=BENCH, results=RESULTS)
    total = round(time.perf_counter() - started, 1)
    load_after = os.getloadavg()

    print("\n=== all figures ===")
    print("\n".join(table(entries)))
    missed = [
        f"{n}.{f}" for n, e in entries.items() for f, c in e["checks"].items() if not c["met"]
    ]
    broken = [name for name, entry in entries.items() if entry["status"] != "ok"]
    busy = max(load_before[0], load_after[0]) > (os.cpu_count() or 1)
    print(
        f"\ntotal: {total:.0f} s ({total / 60:.1f} min); load average {load_before[0]:.1f} "
        f"before, {load_after[0]:.1f} after"
        + (" (more than the cores: other work was running too)" if busy else "")
    )
    print(f"targets missed: {len(missed)}" + (f" ({', '.join(missed)})" if missed else ""))
    if broken:
        print(f"crashed or wrote no results: {', '.join(broken)}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "full": options.full,
        "total_seconds": total,
        "load_average": {"before": load_before[0], "after": load_after[0]},
        "missed": missed,
        "broken": broken,
        "scripts": entries,
    }
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
