import pytest

from config.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, load_dotenv


def test_load_dotenv_never_overrides_the_real_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CB_TEST_A", "from-env")
    monkeypatch.delenv("CB_TEST_B", raising=False)
    (tmp_path / ".env").write_text('# comment\nCB_TEST_A=from-file\nCB_TEST_B="quoted value"\n')
    load_dotenv(tmp_path / ".env")
    import os

    assert os.environ["CB_TEST_A"] == "from-env"
    assert os.environ["CB_TEST_B"] == "quoted value"
    monkeypatch.delenv("CB_TEST_B")


def test_typed_readers(monkeypatch):
    monkeypatch.setenv("CB_BOOL", "yes")
    monkeypatch.setenv("CB_INT", "12")
    monkeypatch.setenv("CB_LIST", "a, b,,c")
    assert env_bool("CB_BOOL") is True
    assert env_int("CB_INT", 0) == 12
    assert env_list("CB_LIST") == ["a", "b", "c"]
    monkeypatch.setenv("CB_INT", "twelve")
    with pytest.raises(ImproperlyConfiguredEnv, match="CB_INT must be a whole number"):
        env_int("CB_INT", 0)
