"""`make run PORT=… SANDBOX_PORT=…`: every address the running processes use follows the
two ports (the web server, the sandbox server, where the sandboxes send webhooks, the app's
SITE_URL and SANDBOX_URL), and nothing is left on 8000/8001."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _dry_run(*args: str) -> str:
    result = subprocess.run(
        ["make", "-n", "--always-make", "run", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    return result.stdout


def _procfile_commands(environment: dict) -> dict[str, str]:
    """Each Procfile line as the shell honcho runs it would expand it."""
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, command = line.split(":", 1)
        expanded = subprocess.run(
            ["sh", "-c", f'echo "{command.strip()}"'],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": os.environ["PATH"], **environment},
        )
        commands[name] = expanded.stdout.strip()
    return commands


def _run_environment(output: str) -> dict:
    [honcho_line] = [line for line in output.splitlines() if "honcho start" in line]
    assignments = [word for word in honcho_line.split() if "=" in word and "/" not in word[:1]]
    return dict(word.split("=", 1) for word in assignments)


def test_make_run_passes_both_ports_to_every_process():
    output = _dry_run("PORT=8123", "SANDBOX_PORT=8124")
    environment = _run_environment(output)
    assert environment == {
        "WEB_PORT": "8123",
        "SANDBOX_PORT": "8124",
        "SITE_URL": "http://127.0.0.1:8123",
        "SANDBOX_URL": "http://127.0.0.1:8124",
    }
    commands = _procfile_commands(environment)
    assert "runserver 127.0.0.1:8123" in commands["web"]
    assert "--port 8124" in commands["sandbox"]
    assert "--webhook-base http://127.0.0.1:8123" in commands["sandbox"]
    assert not any(port in command for command in commands.values() for port in (":8000", "8001"))
    # The sign-in line bootstrap_demo prints is made with the same SITE_URL.
    assert "SITE_URL=http://127.0.0.1:8123" in next(
        line for line in output.splitlines() if "bootstrap_demo" in line
    )


def test_the_default_ports_are_8000_and_8001():
    commands = _procfile_commands(_run_environment(_dry_run()))
    assert "runserver 127.0.0.1:8000" in commands["web"]
    assert "--port 8001" in commands["sandbox"]
