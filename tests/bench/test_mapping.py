"""bench/mapping.py: a tiny run writes its figure beside the target, worked out from what
was measured."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path, *extra) -> dict:
    out = tmp_path / "mapping.json"
    command = [sys.executable, "bench/mapping.py", "--count", "300", "--runs", "3"]
    done = subprocess.run(
        [*command, "--out", str(out), *extra], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "records_per_second" in done.stdout
    return json.loads(out.read_text())


def test_the_median_run_is_the_figure_and_a_target_no_run_meets_is_missed(tmp_path):
    document = _run(tmp_path, "--target", "1000000000")

    assert {"checks", "details", "machine", "date"} <= document.keys()
    figure = document["checks"]["records_per_second"]
    assert set(figure) == {"value", "target", "met"}
    assert figure["value"] == sorted(document["details"]["records_per_second_each_run"])[1]
    assert figure == {"value": figure["value"], "target": ">= 1000000000", "met": False}
    assert document["details"]["records"] == 300


def test_a_target_every_run_meets_is_met(tmp_path):
    figure = _run(tmp_path, "--target", "1")["checks"]["records_per_second"]
    assert figure["met"] is True
