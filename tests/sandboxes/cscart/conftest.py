"""The sandbox fixtures this folder shares with the client tests."""

from tests.integrations.providers.cscart.conftest import (  # noqa: F401  the sandbox fixtures
    _reset_after_test,
    api,
    connection,
    control,
    creds,
    cscart,
    new_user,
    viewer,
)
