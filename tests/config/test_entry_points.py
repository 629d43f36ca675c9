"""The pieces a server starts from: the WSGI/ASGI applications and the env helpers the
settings read secrets with."""

import pytest

from config.env import ImproperlyConfiguredEnv, env_int, env_secret, load_dotenv


def test_the_wsgi_and_asgi_applications_load():
    from config.asgi import application as asgi_app
    from config.wsgi import application as wsgi_app

    assert callable(wsgi_app) and callable(asgi_app)


def test_a_secret_comes_from_the_file_named_by_name_file(tmp_path, monkeypatch):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret-from-file\n")
    monkeypatch.setenv("CB_TEST_SECRET", "from-env")
    monkeypatch.setenv("CB_TEST_SECRET_FILE", str(secret_file))
    assert env_secret("CB_TEST_SECRET") == "s3cret-from-file"  # the file wins, stripped
    monkeypatch.delenv("CB_TEST_SECRET_FILE")
    assert env_secret("CB_TEST_SECRET") == "from-env"
    monkeypatch.delenv("CB_TEST_SECRET")
    assert env_secret("CB_TEST_SECRET") == ""


def test_a_missing_secret_file_fails_loudly(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_TEST_SECRET_FILE", str(tmp_path / "nowhere"))
    with pytest.raises(ImproperlyConfiguredEnv, match="CB_TEST_SECRET_FILE points at"):
        env_secret("CB_TEST_SECRET")


def test_a_missing_dotenv_file_is_no_error(tmp_path):
    load_dotenv(tmp_path / "absent.env")  # nothing to load, nothing raised


def test_lines_that_are_not_settings_are_skipped(tmp_path, monkeypatch):
    monkeypatch.delenv("CB_TEST_KEPT", raising=False)
    (tmp_path / ".env").write_text("\n   \njust words\nCB_TEST_KEPT= spaced \n")
    load_dotenv(tmp_path / ".env")
    import os

    assert os.environ["CB_TEST_KEPT"] == "spaced"  # monkeypatch removes it again


def test_whole_numbers_only(monkeypatch):
    monkeypatch.setenv("CB_TEST_INT", "")
    assert env_int("CB_TEST_INT", 7) == 7
    monkeypatch.setenv("CB_TEST_INT", "12")
    assert env_int("CB_TEST_INT", 7) == 12
    monkeypatch.setenv("CB_TEST_INT", "twelve")
    with pytest.raises(ImproperlyConfiguredEnv, match="whole number"):
        env_int("CB_TEST_INT", 7)
