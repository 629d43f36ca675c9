"""bench/ceiling.py: the share of HighLevel's (scaled) limit the shared budget reaches with
worker processes sharing it, the 429s, and the naive loop beside it, each figure worked out
from what was measured."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _ceiling():
    spec = importlib.util.spec_from_file_location("bench_ceiling", ROOT / "bench" / "ceiling.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_sender_at_the_limit_uses_all_of_it_whatever_the_phase_of_its_bursts():
    ceiling = _ceiling()
    # 10 requests at once at each whole second: all a sliding window of 10 / 1 s allows.
    ideal = [float(second) for second in range(5) for _ in range(10)]
    assert ceiling.ceiling_use(ideal, limit=10, window=1.0) == pytest.approx(1.0)
    # Each second's 10 spread over its first half instead: the window is always as full.
    spread = [second + i / 20 for second in range(5) for i in range(10)]
    assert ceiling.ceiling_use(spread, limit=10, window=1.0) == pytest.approx(1.0)
    # A client half a second late for its last burst leaves the window empty meanwhile.
    late = ideal[:-10] + [4.5] * 10
    assert ceiling.ceiling_use(late, limit=10, window=1.0) == pytest.approx(3 / 3.5)
    # Requests/s from first to last over allowed/s counts the opening burst as a bonus.
    assert ceiling.plain_use(ideal, limit=10, window=1.0) > 1.2
    # Evenly spread at half the rate: half of it.
    half = [i / 5 for i in range(50)]
    assert ceiling.ceiling_use(half, limit=10, window=1.0) == pytest.approx(0.5, abs=0.02)
    assert ceiling.ceiling_use([], limit=10, window=1.0) == 0.0


def test_a_missed_target_says_whether_the_workers_or_the_budget_set_the_pace():
    ceiling = _ceiling()
    busy = {"budget_sleep": 0.1, "budget_take": 0.4, "highlevel_exchange": 0.3, "other": 0.2}
    assert "could not keep up" in ceiling.what_limits({"pace": busy})
    paced = {"budget_sleep": 0.7, "budget_take": 0.1, "highlevel_exchange": 0.1, "other": 0.1}
    assert "The budget set the pace" in ceiling.what_limits({"pace": paced})


def test_a_tiny_run_with_two_workers_reports_against_a_target_none_can_meet(tmp_path):
    out = tmp_path / "ceiling.json"
    done = subprocess.run(
        [
            *(sys.executable, "bench/ceiling.py", "--customers", "40", "--workers", "2"),
            *("--limit", "20", "--window-ms", "200", "--naive-customers", "5"),
            *("--target-use", "1.01", "--out", str(out)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ours 2w" in done.stdout and "naive" in done.stdout
    document = json.loads(out.read_text())
    assert {"checks", "details", "machine", "date"} <= document.keys()
    checks, details = document["checks"], document["details"]
    assert details["limit"] == {"requests": 20, "window_seconds": 0.2, "daily": 200_000}
    ours = []
    for label in ("2_workers",):
        run = details[f"run_{label}"]
        assert run["written"] == 40 and run["failed"] == 0
        assert [r["written"] for r in run["runs"]] == [20, 20]  # one flow per worker
        # Nothing can use more than all of the limit: a target above 1 is never met.
        assert checks[f"ceiling_use_{label}"] == {
            "value": run["ceiling_use"],
            "target": ">= 1.01",
            "met": False,
        }
        assert 0 < run["ceiling_use"] <= 1.001  # stamped just after the sandbox counted
        assert run["requests_let_through"] + run["http_429"] == run["highlevel_requests"]
        refused = run["http_429"]
        assert checks[f"http_429_{label}"] == {
            "value": refused,
            "target": "<= 0",
            "met": refused == 0,
        }
        ours.append(run["calls_per_written_contact"])
    naive = details["naive"]
    assert naive["contacts"] == 5
    assert naive["calls_per_contact"] == 2.0  # a search, then a create: nothing there yet
    assert checks["calls_per_contact_ours_vs_naive"] == {
        "value": max(ours),
        "target": "<= 2.0",
        "met": max(ours) <= 2.0,
    }


def test_worker_counts_that_cannot_run_are_refused_with_what_to_fix():
    done = subprocess.run(
        [sys.executable, "bench/ceiling.py", "--workers", "0", "--customers", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--workers must list worker counts of at least 1" in done.stderr
