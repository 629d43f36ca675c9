"""The sandbox fixtures this folder shares with the client tests."""

from tests.integrations.providers.cin7.conftest import (  # noqa: F401  the sandbox fixtures
    _reset_after_test,
    api,
    cin7,
    cin7_connection,
    control,
    described,
    make_client,
    new_customer,
    receiver,
)
