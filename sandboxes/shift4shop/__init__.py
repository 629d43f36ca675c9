"""A local copy of the Shift4Shop (3dcart) REST API's customers, with "Customer New"
webhooks and fault injection (see app.py)."""

from sandboxes.shift4shop.app import Shift4ShopSandbox


def connection_values(described: dict) -> tuple[dict, dict]:
    """The sandbox's describe() as (credentials, settings) for a Shift4Shop Connection."""
    credentials = {"private_key": described["private_key"], "token": described["token"]}
    settings = {
        "secure_url": described["secure_url"],
        "base_url": described["base_url"],
        "store_timezone": described.get("store_timezone", "America/New_York"),
    }
    return credentials, settings


__all__ = ["Shift4ShopSandbox", "connection_values"]
