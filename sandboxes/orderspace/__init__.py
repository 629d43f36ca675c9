"""A faithful local copy of Orderspace's identity server, customer API and webhooks."""

from sandboxes.orderspace.app import OrderspaceSandbox


def connection_values(described: dict) -> tuple[dict, dict]:
    """The sandbox's describe() as (credentials, settings) of an Orderspace Connection."""
    credentials = {
        "client_id": described["client_id"],
        "client_secret": described["client_secret"],
        "webhook_signing_key": described.get("webhook_signing_key", ""),
    }
    settings = {
        "base_url": described.get("api_url") or described["base_url"],
        "token_url": described["token_url"],
        "site_name": described.get("site_name", ""),
    }
    return credentials, settings


__all__ = ["OrderspaceSandbox", "connection_values"]
