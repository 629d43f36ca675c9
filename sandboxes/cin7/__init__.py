"""A faithful local copy of the Cin7 Core Inventory API v2 customers and webhooks."""

from sandboxes.cin7.app import Cin7Sandbox


def connection_values(described: dict) -> tuple[dict, dict]:
    """The sandbox's describe() as (credentials, settings) of a Cin7 Connection."""
    credentials = {
        "account_id": described["account_id"],
        "application_key": described["application_key"],
    }
    return credentials, {"base_url": described["api_url"], **described["customer_defaults"]}


__all__ = ["Cin7Sandbox", "connection_values"]
