"""bench/reconcile.py: both sandboxes and the links seeded as a backfill leaves them, then a
reconciliation that must find them in step (the proof that the seeding is faithful), and the
checks worked out from what was measured."""

import json
import subprocess
import sys
from pathlib import Path

from bench import reconcile

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_run_finds_the_seeded_sides_in_step(tmp_path):
    out = tmp_path / "reconcile.json"
    done = subprocess.run(
        [sys.executable, "bench/reconcile.py", "--sizes", "150,250", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(out.read_text())
    assert {"checks", "details", "machine", "date"} <= document.keys()
    checks, details = document["checks"], document["details"]
    for size in (150, 250):
        run = details[f"size_{size}"]
        assert run["seeding"]["links"] == run["source_count"] == run["target_count"] == size
        assert run["highlevel"]["writes"] == 0
        assert run["message"].startswith("Both sides are in step")
        calls = run["highlevel"]["reads"] / size  # a page of 100 a call, plus one empty
        assert checks[f"highlevel_calls_per_contact_{size}"] == {
            "value": round(calls, 4),
            "target": "<= 0.011",
            "met": False,  # so few contacts: the fixed calls weigh more than 1 in 100
        }
        assert checks[f"peak_rss_mb_{size}"]["value"] == run["peak_rss_mb"]
    assert checks["drift_found"] == {"value": 0, "target": "<= 0", "met": True}
    assert checks["highlevel_writes"] == {"value": 0, "target": "<= 0", "met": True}
    assert checks["reports_done"]["met"] is True


def _run(target_count=10_000, reads=101, writes=0, rss=100.0, drift=0) -> dict:
    return {
        "highlevel": {"reads": reads, "writes": writes},
        "target_count": target_count,
        "only_in_source": drift,
        "only_in_target": 0,
        "differing": 0,
        "status": "done",
        "peak_rss_mb": rss,
    }


def test_the_checks_follow_the_figures():
    checks = reconcile.figures_checked({10_000: _run(), 50_000: _run(reads=501, rss=108.0)})
    assert checks["highlevel_calls_per_contact_10000"] == {
        "value": 0.0101,
        "target": "<= 0.011",
        "met": True,
    }
    assert checks["peak_rss_growth"] == {"value": 0.08, "target": "<= 0.1", "met": True}
    assert checks["drift_found"]["met"] and checks["highlevel_writes"]["met"]

    missed = reconcile.figures_checked(
        {10_000: _run(writes=3, rss=90.0, drift=2), 30_000: _run(rss=160.0)}
    )
    assert missed["highlevel_writes"] == {"value": 3, "target": "<= 0", "met": False}
    assert missed["drift_found"] == {"value": 2, "target": "<= 0", "met": False}
    assert missed["peak_rss_mb_30000"] == {"value": 160.0, "target": "<= 150", "met": False}
    assert missed["peak_rss_growth"]["met"] is False
