"""bench/run.py, the harness behind `make bench`: which scripts it runs and in what order,
`--full` passed to those that take it, one table of every figure, summary.json, and a
non-zero exit only for a script that crashed or wrote no results."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import run

ROOT = Path(__file__).resolve().parents[2]

# A fake benchmark: writes results/<name>.json with one met and one missed figure, and
# records the arguments it was given.
WRITES = """
import json, sys
from pathlib import Path
out = Path({results!r}) / "{name}.json"
checks = {{
    "speed": {{"value": 12.5, "target": ">= 10", "met": True}},
    "calls": {{"value": 3, "target": "<= 1", "met": False}},
}}
out.write_text(json.dumps({{"checks": checks, "details": {{"argv": sys.argv[1:]}}}}))
# write_results( -- what makes an unlisted script a benchmark
parser_flag = "--full"
"""
CRASHES = "raise SystemExit(3)\n"
SILENT = 'print("no figures here")  # write_results(\n'
HELPER = "def helper():\n    return 1\n"


@pytest.fixture
def bench_dir(tmp_path, monkeypatch):
    bench, results = tmp_path / "bench", tmp_path / "results"
    bench.mkdir()
    results.mkdir()
    monkeypatch.setattr(run, "BENCH", bench)
    monkeypatch.setattr(run, "RESULTS", results)
    return bench, results


def _script(bench: Path, results: Path, name: str, text: str | None = None) -> None:
    text = text if text is not None else WRITES.format(results=str(results), name=name)
    (bench / f"{name}.py").write_text(text)


def test_the_fixed_order_first_then_other_benchmarks_by_name(bench_dir):
    bench, results = bench_dir
    for name in ("webhooks", "zeta", "alpha", "sync", "mapping", "reconcile"):
        _script(bench, results, name)
    for name in ("common", "seeding", "mutation", "run"):
        _script(bench, results, name)  # helpers and mutation.py: never run
    _script(bench, results, "helper", HELPER)  # writes no results: not a benchmark
    assert run.scripts(bench) == ["mapping", "sync", "reconcile", "webhooks", "alpha", "zeta"]


def test_the_real_bench_folder():
    found = run.scripts(run.BENCH)
    assert found[:4] == ["mapping", "sync", "reconcile", "diagnostics"]
    assert "budget" in found
    assert not {"mutation", "common", "seeding", "run"} & set(found)


def test_all_figures_in_one_table_and_a_summary(bench_dir, capsys):
    bench, results = bench_dir
    _script(bench, results, "mapping")
    _script(bench, results, "extra")

    assert run.main([]) == 0  # a missed target is not a failure

    out = capsys.readouterr().out
    rows = [line.split() for line in out.split("=== all figures ===")[1].splitlines()]
    assert ["mapping", "speed", "12.5", ">=", "10", "yes"] in rows
    assert ["mapping", "calls", "3", "<=", "1", "NO"] in rows
    assert ["extra", "calls", "3", "<=", "1", "NO"] in rows
    assert "targets missed: 2 (mapping.calls, extra.calls)" in out
    summary = json.loads((results / "summary.json").read_text())
    assert summary["missed"] == ["mapping.calls", "extra.calls"]
    assert summary["broken"] == []
    assert summary["full"] is False
    assert summary["scripts"]["mapping"]["status"] == "ok"
    assert summary["scripts"]["mapping"]["checks"]["speed"]["met"] is True
    assert {"machine", "date", "total_seconds", "load_average"} <= summary.keys()


def test_full_is_passed_to_scripts_that_take_it(bench_dir):
    bench, results = bench_dir
    _script(bench, results, "mapping")
    without_full = WRITES.replace('parser_flag = "--full"\n', "")
    _script(bench, results, "sync", without_full.format(results=str(results), name="sync"))

    assert run.main(["--full"]) == 0

    def argv(name):
        return json.loads((results / f"{name}.json").read_text())["details"]["argv"]

    assert argv("mapping") == ["--full"]
    assert argv("sync") == []
    summary = json.loads((results / "summary.json").read_text())
    assert summary["scripts"]["mapping"]["command"].endswith("mapping.py --full")


def test_names_pick_scripts_and_an_unknown_name_is_refused(bench_dir, capsys):
    bench, results = bench_dir
    for name in ("mapping", "sync", "reconcile"):
        _script(bench, results, name)

    assert run.main(["reconcile", "mapping"]) == 0
    summary = json.loads((results / "summary.json").read_text())
    assert list(summary["scripts"]) == ["mapping", "reconcile"]  # still the fixed order

    with pytest.raises(SystemExit):
        run.main(["nonesuch"])
    assert "no benchmark nonesuch: choose from mapping, sync, reconcile" in capsys.readouterr().err


def test_a_crash_or_a_script_without_results_fails_the_run(bench_dir, capsys):
    bench, results = bench_dir
    _script(bench, results, "mapping")
    _script(bench, results, "sync", CRASHES)
    _script(bench, results, "reconcile", SILENT)
    (results / "reconcile.json").write_text('{"checks": {}}')  # an old file does not count
    os.utime(results / "reconcile.json", (1_000_000_000, 1_000_000_000))

    assert run.main([]) == 1

    out = capsys.readouterr().out
    assert "crashed or wrote no results: sync, reconcile" in out
    summary = json.loads((results / "summary.json").read_text())
    assert summary["scripts"]["sync"]["status"] == "no results"
    assert summary["scripts"]["sync"]["exit_code"] == 3
    assert summary["scripts"]["reconcile"]["status"] == "no results"
    assert summary["broken"] == ["sync", "reconcile"]


def test_a_script_that_wrote_results_then_failed_counts_as_crashed(bench_dir):
    bench, results = bench_dir
    text = WRITES.format(results=str(results), name="mapping") + "raise SystemExit(1)\n"
    _script(bench, results, "mapping", text)

    assert run.main([]) == 1
    summary = json.loads((results / "summary.json").read_text())
    assert summary["scripts"]["mapping"]["status"] == "crashed"
    assert summary["scripts"]["mapping"]["checks"]["speed"]["value"] == 12.5


def test_run_py_runs_as_a_script():
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "mapping, sync, reconcile, diagnostics" in done.stdout


def test_markdown_prints_the_last_results_and_runs_nothing(bench_dir, capsys):
    bench, results = bench_dir
    _script(bench, results, "mapping", CRASHES)  # would fail the run if it ran
    checks = {"speed": {"value": 123456, "target": ">= 100000", "met": True}}
    checks["calls"] = {"value": 1.2052, "target": "<= 1.01", "met": False}
    document = {"checks": checks, "details": {"bench_seconds": 14.2}, "date": "2026-12-07"}
    (results / "mapping.json").write_text(json.dumps(document))

    assert run.main(["--markdown"]) == 0

    assert capsys.readouterr().out.splitlines() == [
        "### mapping (2026-12-07, 14 s)",
        "",
        "| figure | value | target | met |",
        "|---|---:|---:|---|",
        "| speed | 123,456 | >= 100000 | yes |",
        "| calls | 1.2052 | <= 1.01 | **NO** |",
    ]
    assert not (results / "summary.json").exists()
