"""What every bench script shares: a throwaway database and settings, the results file
(bench/results/<name>.json: `checks` — each figure with its target and whether it was met —,
`details`, `machine`, `date`), and the short table each prints.

A script exits 0 when it ran to the end, whether its targets were met or not (a missed
target is a figure to report, not a crash: `make bench` goes on to the next script), and
non-zero when it could not measure. Its defaults fit `make bench` (bench/run.py: all the
scripts in under 15 minutes on 2 cores); `--full`, which bench/run.py passes on to every
script that takes it, measures the issue's sizes.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def check(value, target: str, met: bool) -> dict:
    """One figure: `target` as people read it ("<= 1.01", ">= 2000")."""
    return {"value": value, "target": target, "met": bool(met)}


def at_most(value, target) -> dict:
    return check(value, f"<= {target}", value <= target)


def at_least(value, target) -> dict:
    return check(value, f">= {target}", value >= target)


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def write_results(name: str, checks: dict, details: dict, out: Path | None = None) -> Path:
    out = out or RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "checks": checks,
        "details": details,
        "machine": machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out.write_text(json.dumps(document, indent=2) + "\n")
    return out


def print_checks(title: str, checks: dict) -> None:
    print(f"\n{title}")
    if not checks:
        print("  (no figures)")
        return
    width = max(len(name) for name in checks)
    print(f"  {'figure':<{width}} {'value':>12} {'target':>10}  met")
    for name, c in checks.items():
        met = "yes" if c["met"] else "NO"
        print(f"  {name:<{width}} {c['value']!s:>12} {c['target']:>10}  {met}")


def environment(db_path: str | None = None, **extra: str) -> str:
    """Settings for this process and any worker it starts (they inherit os.environ): a
    throwaway SQLite database (unless DATABASE_URL is given in `extra`), fresh keys, no
    .env, logging at WARNING. Returns the database path."""
    from cryptography.fernet import Fernet

    db_path = db_path or str(Path(tempfile.mkdtemp(prefix="bench-")) / "bench.sqlite3")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="bench-" + Fernet.generate_key().decode(),
        CREDENTIALS_KEYS=Fernet.generate_key().decode(),
        SANDBOX_ENABLED="true",
        INTEGRATIONS_ALLOW_PRIVATE_IPS="true",
        DATABASE_URL=f"sqlite:///{db_path}",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        DOTENV_PATH="",
        CACHE_URL="",
        RATE_BUDGET_REDIS_URL="",
    )
    os.environ.update(extra)
    return db_path


def django_ready(migrate: bool = True) -> None:
    """django.setup(), the schema migrated, the per-request INFO lines silenced."""
    import logging

    import django

    django.setup()
    logging.getLogger("integrations").setLevel(logging.WARNING)
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def peak_rss_mb() -> float:
    """This process's peak RSS. On Linux getrusage's ru_maxrss carries the parent's high-water
    mark across fork and exec (a bench's parent holds the sandboxes: 1 GB and more), so the
    kernel's per-process VmHWM is read instead; ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def progress() -> Callable[[str], None]:
    """`say(text)`: a progress line on stderr with the seconds since this call (stdout is
    the script's table, which bench/run.py leaves alone)."""
    started = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr, flush=True)

    return say


def sizes(text: str) -> list[int]:
    """ "10000,50000" -> [10000, 50000]: a comma-separated option of record counts."""
    return [int(size.replace("_", "")) for size in text.split(",") if size.strip()]
