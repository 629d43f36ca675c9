"""bench/sync.py: a tiny end-to-end run (sandboxes, a worker process, the tag change) writes
its figures beside the targets, each worked out from what was measured."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_run_reports_its_figures(tmp_path):
    out = tmp_path / "sync.json"
    done = subprocess.run(
        [
            *(sys.executable, "bench/sync.py", "--backfill", "120", "--tagged", "15"),
            *("--profile", "0", "--out", str(out)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(out.read_text())
    assert {"checks", "details", "machine", "date"} <= document.keys()
    checks, details = document["checks"], document["details"]
    for figure in checks.values():
        assert set(figure) == {"value", "target", "met"}

    backfill = details["backfill"]
    assert backfill["written"] == 120
    routes = backfill["highlevel"]["routes"]
    contacts = sum(n for route, n in routes.items() if "/notes" not in route)
    assert checks["highlevel_calls_per_written_contact"]["value"] == round(contacts / 120, 4)
    everything = sum(routes.values()) / 120
    assert checks["highlevel_calls_per_written_contact_with_notes"]["value"] == round(everything, 4)
    rate = checks["contacts_per_second"]
    assert rate == {"value": backfill["contacts_per_second"], "target": ">= 2000", "met": False}
    assert checks["second_run_highlevel_writes"] == {"value": 0, "target": "<= 0", "met": True}
    tag = details["tag_only"]
    assert tag["tagged"] == 15
    per_tag = (tag["highlevel"]["reads"] + tag["highlevel"]["writes"]) / 15
    assert checks["highlevel_calls_per_tagged_contact"]["value"] == round(per_tag, 4)
    assert checks["worker_peak_rss_mb_120"]["value"] == backfill["peak_rss_mb"]
