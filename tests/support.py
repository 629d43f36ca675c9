import os

import pytest


def skip_unless(condition: bool, reason: str) -> None:
    """Skip on a developer's machine that lacks something; fail in CI, which must not skip."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)
