"""A faithful local copy of the HighLevel Contacts API, OAuth and webhooks (see app.py)."""

from sandboxes.highlevel.app import HighLevelSandbox

__all__ = ["HighLevelSandbox", "connection_values"]


def connection_values(described: dict) -> tuple[dict, dict]:
    """(credentials, settings) of a connection to the sandbox that `described` (its
    describe()) tells about: its published Private Integration Token for the first location,
    and the webhook keys, so events the sandbox signs are verified (webhooks.py)."""
    credentials = {"private_integration_token": described["private_integration_token"]}
    settings = {
        "base_url": described["base_url"],
        "location_id": described["location_id"],
        "webhook_public_key": described["webhook_public_key"],
        "webhook_rsa_public_key": described["webhook_rsa_public_key"],
    }
    return credentials, settings
