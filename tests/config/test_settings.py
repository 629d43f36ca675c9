"""Production configuration: the app refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _start(**env) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "CREDENTIALS_KEYS", "DEBUG"}
    }
    clean.update(DOTENV_PATH="", DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "SECRET_KEY and CREDENTIALS_KEYS must be set"),
        ({"SECRET_KEY": "x" * 50}, "CREDENTIALS_KEYS must be set"),
        (
            {"CREDENTIALS_KEYS": "Jm9R6OaVaNElCz6fOcjZC0WpNsmLiq8t6QjDkN_9yvw="},
            "SECRET_KEY must be set",
        ),
    ],
)
def test_production_refuses_to_start_without_secrets(env, missing):
    result = _start(DEBUG="false", **env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_a_malformed_credentials_key_is_named():
    result = _start(DEBUG="false", SECRET_KEY="x" * 50, CREDENTIALS_KEYS="not-a-key")
    assert result.returncode != 0
    assert "CREDENTIALS_KEYS entry 1 is not a Fernet key" in result.stderr


def test_production_starts_with_both_secrets():
    result = _start(
        DEBUG="false",
        SECRET_KEY="x" * 50,
        CREDENTIALS_KEYS="Jm9R6OaVaNElCz6fOcjZC0WpNsmLiq8t6QjDkN_9yvw=",
    )
    assert result.returncode == 0, result.stderr


def test_secrets_can_come_from_files(tmp_path):
    (tmp_path / "key").write_text("x" * 50 + "\n")
    (tmp_path / "creds").write_text("Jm9R6OaVaNElCz6fOcjZC0WpNsmLiq8t6QjDkN_9yvw=\n")
    result = _start(
        DEBUG="false",
        SECRET_KEY_FILE=str(tmp_path / "key"),
        CREDENTIALS_KEYS_FILE=str(tmp_path / "creds"),
    )
    assert result.returncode == 0, result.stderr


def test_debug_starts_without_secrets():
    assert _start(DEBUG="true").returncode == 0


def test_a_bad_boolean_is_explained():
    result = _start(DEBUG="maybe")
    assert "DEBUG must be true or false" in result.stderr
