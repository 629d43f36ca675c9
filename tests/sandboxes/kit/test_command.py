"""`manage.py sandbox`: one process, one JSON line per sandbox, a health page."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from integrations.providers.registry import all_providers
from sandboxes.catalogue import build_apps

ROOT = Path(__file__).resolve().parents[3]


def _start(*args, **env):
    return subprocess.Popen(
        [sys.executable, "manage.py", "sandbox", "--port", "0", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_it_prints_one_json_line_per_sandbox_and_serves_health():
    process = _start("--seed", "5")
    try:
        banner = process.stderr.readline()
        base_url = re.search(r"(http://127\.0\.0\.1:\d+)", banner).group(1)
        expected = [p.key for p in all_providers()]  # every provider has a sandbox
        lines = [json.loads(process.stdout.readline()) for _ in expected]
        assert sorted(line["provider"] for line in lines) == sorted(expected)
        for line in lines:
            # Some platforms' base URLs carry their API path too (Orderspace's ends in /v1).
            assert line["base_url"].startswith(f"{base_url}/{line['provider']}")
        health = requests.get(f"{base_url}/health", timeout=5)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "sandboxes": sorted(expected)}
        missing = requests.get(f"{base_url}/nowhere/contacts", timeout=5)
        assert missing.status_code == 404 and "No sandbox" in missing.json()["message"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_it_refuses_to_run_in_production_unless_enabled():
    process = _start(SANDBOX_ENABLED="false", DEBUG="false")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "SANDBOX_ENABLED=true" in stderr


def test_a_busy_port_is_explained():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "manage.py", "sandbox", "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started = time.monotonic()
        _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0 and time.monotonic() - started < 60
    assert f"Cannot listen on 127.0.0.1:{port}" in stderr


def test_describe_serves_the_start_line_in_test_mode_only():
    from sandboxes.kit.server import SandboxOptions, start_in_thread, stop

    apps = build_apps(SandboxOptions(seed=0))
    httpd, server, base_url = start_in_thread(apps)
    try:
        for app in apps:
            answer = requests.get(f"{base_url}/{app.name}/_describe", timeout=5)
            assert answer.status_code == 200
            assert answer.json() == json.loads(json.dumps(app.describe()))
    finally:
        stop(httpd, server)
    closed = build_apps(SandboxOptions(seed=0, test_mode=False))
    httpd, server, base_url = start_in_thread(closed)
    try:
        for app in closed:
            answer = requests.get(f"{base_url}/{app.name}/_describe", timeout=5)
            assert answer.status_code == 403
            assert "test mode" in answer.json()["message"]
    finally:
        stop(httpd, server)


def test_webhook_base_gives_each_sandbox_its_receiver_url():
    from sandboxes.kit.server import SandboxApp, SandboxOptions

    app = SandboxApp(SandboxOptions(webhook_base="http://127.0.0.1:8000/"))
    app.name = "ecwid"
    assert app.default_webhook_url() == "http://127.0.0.1:8000/webhooks/ecwid/"
    assert SandboxApp(SandboxOptions()).default_webhook_url() is None


def test_it_refuses_a_webhook_base_that_is_not_a_url():
    process = _start("--webhook-base", "localhost:8000")
    _, err = process.communicate(timeout=30)
    assert process.returncode != 0
    assert "--webhook-base must be an http(s) URL" in err


def test_sandboxes_that_push_to_a_fixed_url_start_with_the_webhook_base():
    from sandboxes.ecwid import EcwidSandbox
    from sandboxes.highlevel import HighLevelSandbox
    from sandboxes.kit.server import SandboxOptions

    options = SandboxOptions(webhook_base="http://127.0.0.1:8000")
    highlevel = HighLevelSandbox(options, rsa_key_bits=2048)
    assert highlevel.config.webhook_url == "http://127.0.0.1:8000/webhooks/highlevel/"
    highlevel.reset_config()
    assert highlevel.config.webhook_url == "http://127.0.0.1:8000/webhooks/highlevel/"
    ecwid = EcwidSandbox(options)
    assert ecwid.knobs.webhook_url == "http://127.0.0.1:8000/webhooks/ecwid/"
    highlevel.close()
    ecwid.close()
