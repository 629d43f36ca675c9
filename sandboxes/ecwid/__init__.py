"""A faithful local copy of Ecwid's REST API v3 customers, groups and webhooks (app.py)."""

from sandboxes.ecwid.app import EcwidSandbox

__all__ = ["EcwidSandbox", "connection_values"]


def connection_values(described: dict) -> tuple[dict, dict]:
    """The sandbox's describe() as (credentials, settings) of an Ecwid Connection."""
    credentials = {
        "secret_token": described["secret_token"],
        "client_secret": described["client_secret"],
    }
    settings = {"store_id": str(described["store_id"]), "base_url": described["base_url"]}
    return credentials, settings
