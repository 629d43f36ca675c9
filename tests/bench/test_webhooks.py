"""bench/webhooks.py: a tiny real run (gunicorn, signed deliveries, the inbox counted) and the
checks worked out from what was measured."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "webhooks.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_webhooks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TARGETS = SimpleNamespace(rate=1000, p99=50.0, freshness=1000.0)


def _ingress(rate=1500.0, p99=20.0, lost=0) -> dict:
    return {
        "deliveries_per_second": rate,
        "latency_ms": {"p99": p99},
        "inbox": {"answered_2xx_not_stored": lost},
    }


def test_a_tiny_run_writes_its_figures_beside_targets_it_cannot_meet(tmp_path):
    out = tmp_path / "webhooks.json"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            *("--deliveries", "30", "--clients", "2", "--warmup", "5", "--repetitions", "10"),
            *("--changes", "0", "--time-limit", "20", "--out", str(out)),
            # Targets no run can meet: what is reported comes from what was measured.
            *("--target-rate", "1000000000", "--target-p99-ms", "0.0001"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(out.read_text())
    assert {"checks", "details", "machine", "date"} <= document.keys()
    checks, ingress = document["checks"], document["details"]["ingress_sqlite"]
    assert set(checks) == {
        "webhook_deliveries_per_second",
        "webhook_p99_ms",
        "webhooks_lost",
        "freshness_p95_ms",
    }
    for figure in checks.values():
        assert set(figure) == {"value", "target", "met"}

    assert ingress["deliveries"] == 30 and ingress["statuses"] == {"200": 30}
    assert ingress["received"] == 30
    assert checks["webhook_deliveries_per_second"] == {
        "value": ingress["deliveries_per_second"],
        "target": ">= 1000000000",
        "met": False,
    }
    assert 0 < ingress["deliveries_per_second"] < 1_000_000_000
    assert checks["webhook_p99_ms"]["value"] == ingress["latency_ms"]["p99"] > 0.0001
    assert checks["webhook_p99_ms"]["met"] is False
    # Every delivery answered 2xx (warm-up included) is in the inbox, with its message queued.
    inbox = ingress["inbox"]
    assert inbox["answered_2xx_with_warmup"] == inbox["events_stored"] == 35
    assert inbox["event_targets_stored"] == 35 and inbox["broker_messages"] == 35
    assert checks["webhooks_lost"] == {"value": 0, "target": "= 0", "met": True}
    # Freshness was not asked for: reported as not measured, not met.
    assert document["details"]["freshness"] == {"skipped": "--changes 0"}
    assert checks["freshness_p95_ms"] == {"value": None, "target": "< 1000", "met": False}
    cost = ingress["server_cost"]
    assert cost["repetitions"] == 10
    for part in ("verify", "inbox_store", "enqueue", "whole_view"):
        assert cost[part]["cpu_ms"] > 0


def test_checks_follow_the_figures():
    bench = _bench()
    details = {
        "ingress_sqlite": _ingress(rate=1500.0, p99=20.0),
        "ingress_postgresql": _ingress(rate=900.0, p99=60.0, lost=2),
        "freshness": {"p95_ms": 400.0, "not_visible_in_15_s": 0},
    }
    checks = bench.build_checks(details, TARGETS)
    assert checks["webhook_deliveries_per_second"] == {
        "value": 1500.0,
        "target": ">= 1000",
        "met": True,
    }
    assert checks["webhook_p99_ms"]["met"] is True
    assert checks["webhook_deliveries_per_second_postgresql"]["met"] is False
    assert checks["webhook_p99_ms_postgresql"] == {"value": 60.0, "target": "< 50", "met": False}
    assert checks["webhooks_lost"] == {"value": 2, "target": "= 0", "met": False}
    assert checks["freshness_p95_ms"] == {"value": 400.0, "target": "< 1000", "met": True}


def test_a_change_never_seen_fails_freshness_and_a_failed_ingress_is_not_met():
    bench = _bench()
    details = {
        "ingress_sqlite": {"error": "the ingress phase failed"},
        "freshness": {"p95_ms": 300.0, "not_visible_in_15_s": 1},
    }
    checks = bench.build_checks(details, TARGETS)
    assert checks["webhook_deliveries_per_second"]["value"] is None
    assert checks["webhook_deliveries_per_second"]["met"] is False
    assert checks["webhooks_lost"]["met"] is False  # nothing was counted
    assert checks["freshness_p95_ms"]["met"] is False


def test_percentiles_are_nearest_rank():
    bench = _bench()
    values = [float(n) for n in range(1, 101)]
    assert bench.percentile(values, 0.50) == 50.0
    assert bench.percentile(values, 0.99) == 99.0
    assert bench.percentile(values, 0.95) == 95.0
    assert bench.percentile([7.0], 0.99) == 7.0
    assert bench.percentile([], 0.5) is None
