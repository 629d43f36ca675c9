"""Production settings, read the way a server reads them: in a fresh process from the
environment and the .env file (settings are loaded once per process, so each case starts one)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS_KEY = "Jm9R6OaVaNElCz6fOcjZC0WpNsmLiq8t6QjDkN_9yvw="
# The variables the README's production example sets, plus nothing of the test run's own.
README_PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "CREDENTIALS_KEYS": CREDENTIALS_KEY,
    "ALLOWED_HOSTS": "crm-sync.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://crm-sync.example.com",
    "SITE_URL": "https://crm-sync.example.com",
    "BEHIND_HTTPS_PROXY": "true",
    "EMAIL_HOST": "smtp.example.com",
    "SIGNUP_OPEN": "false",
}
# Set by pyproject's pytest env for the test run; a production process has none of them.
TEST_RUN_ONLY = {
    "SECRET_KEY",
    "CREDENTIALS_KEYS",
    "DEBUG",
    "SECURE_COOKIES",
    "INTEGRATIONS_ALLOW_PRIVATE_IPS",
    "SANDBOX_ENABLED",
    "SIGNUP_OPEN",
    "ALLOWED_HOSTS",
    "VAR_DIR",
    "SITE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests while Chromium runs
}


def _run(args: list[str], tmp_path: Path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in TEST_RUN_ONLY}
    clean.update(
        DOTENV_PATH="", VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="config.settings"
    )
    clean.update({k: v for k, v in env.items() if v is not None})
    for name in [k for k, v in env.items() if v is None]:
        clean.pop(name)  # None: not in the environment at all
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def _settings(tmp_path: Path, names: list[str], **env) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: str(getattr(settings, n, None)) for n in {names!r}}}))"
    )
    result = _run(["-c", code], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_the_readme_production_settings(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **README_PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_behind_the_https_proxy_hsts_and_the_https_redirect_are_on(tmp_path):
    names = [
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "X_FRAME_OPTIONS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "SECURE_REFERRER_POLICY",
    ]
    production = _settings(tmp_path, names, **README_PRODUCTION)
    assert production == {
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "SECURE_SSL_REDIRECT": "True",
        "SECURE_PROXY_SSL_HEADER": "('HTTP_X_FORWARDED_PROTO', 'https')",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": "True",
        "SECURE_REFERRER_POLICY": "same-origin",
    }
    tuned = _settings(
        tmp_path, names[:3], **README_PRODUCTION, SECURE_HSTS_SECONDS="600", SECURE_SSL_REDIRECT="0"
    )
    assert tuned["SECURE_HSTS_SECONDS"] == "600" and tuned["SECURE_SSL_REDIRECT"] == "False"
    plain = _settings(tmp_path, names[:3], **{**README_PRODUCTION, "BEHIND_HTTPS_PROXY": "false"})
    assert plain["SECURE_HSTS_SECONDS"] == "0" and plain["SECURE_SSL_REDIRECT"] == "False"


def test_every_setting_can_come_from_the_dotenv_file(tmp_path):
    var_dir = tmp_path / "var-from-dotenv"
    dotenv = tmp_path / "settings.env"
    dotenv.write_text(
        f"VAR_DIR={var_dir}\n"
        "SITE_URL=https://from-dotenv.example.com\n"
        "INTEGRATIONS_READ_TIMEOUT=12\n"
        "DEBUG=true\n"
    )
    values = _settings(
        tmp_path,
        ["VAR_DIR", "SITE_URL", "INTEGRATIONS_READ_TIMEOUT", "DEBUG", "STATIC_ROOT"],
        DOTENV_PATH=str(dotenv),
        VAR_DIR=None,
    )
    assert values == {
        "VAR_DIR": str(var_dir),
        "SITE_URL": "https://from-dotenv.example.com",
        "INTEGRATIONS_READ_TIMEOUT": "12.0",
        "DEBUG": "True",
        "STATIC_ROOT": str(var_dir / "static"),
    }
    assert var_dir.is_dir()


def test_the_real_environment_wins_over_the_dotenv_file(tmp_path):
    dotenv = tmp_path / "settings.env"
    dotenv.write_text(f"VAR_DIR={tmp_path / 'from-file'}\nDEBUG=true\n")
    values = _settings(tmp_path, ["VAR_DIR"], DOTENV_PATH=str(dotenv))
    # _run sets VAR_DIR in the environment only when the test does not: here it did.
    assert values["VAR_DIR"] == str(tmp_path / "var")
