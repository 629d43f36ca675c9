"""bench/diagnostics.py: a tiny seeded history (its API calls made by SQLite itself), each
page's time and query count beside the targets, worked out from what was measured."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_run_reports_every_page_against_a_target_none_can_meet(tmp_path):
    out = tmp_path / "diagnostics.json"
    done = subprocess.run(
        [
            *(sys.executable, "bench/diagnostics.py", "--calls", "3000", "--flows", "2"),
            *("--repeat", "1", "--target-ms", "0.001", "--out", str(out)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(out.read_text())
    assert {"checks", "details", "machine", "date"} <= document.keys()
    checks, pages = document["checks"], document["details"]["pages"]
    assert len(pages) == 9
    for label, page in pages.items():
        figure = checks[label.replace(" ", "_") + "_ms"]
        assert figure == {"value": page["ms"], "target": "< 0.001", "met": False}
        assert page["queries"] == page["queries_with_one_flow"]
    assert checks["pages_whose_queries_grow_with_flows"] == {
        "value": 0,
        "target": "<= 0",
        "met": True,
    }
    assert document["details"]["api_call_rows"] == 3000
    assert document["details"]["rollups"] > 0
