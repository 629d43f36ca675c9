"""bench/budget.py --quick: one short case through real worker processes, its figures
beside the targets, each worked out from the case's measured row."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_quick_run_reports_the_case_it_measured(tmp_path):
    out = tmp_path / "budget.json"
    done = subprocess.run(
        [sys.executable, "bench/budget.py", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(out.read_text())
    assert {"checks", "details", "machine", "date"} <= document.keys()
    checks, (row,) = document["checks"], document["details"]["rows"]
    assert (row["window_s"], row["workers"]) == (1.0, 1)
    assert checks["ratio_1s_1w"] == {
        "value": round(row["ratio"], 4),
        "target": ">= 0.95",
        "met": round(row["ratio"], 4) >= 0.95,
    }
    assert checks["429s_1s_1w"] == {
        "value": row["rate_limited"],
        "target": "<= 0",
        "met": row["rate_limited"] == 0,
    }
    if document["details"]["budget"] == "RedisBudget":  # the CPU targets are Redis's
        assert checks["cpu_vs_bare_1s_1w"]["value"] == round(row["cpu_vs_bare"], 4)
