"""A faithful local copy of one CS-Cart store's REST API (users and user groups; see app.py)."""

from sandboxes.cscart.app import CsCartSandbox


def connection_values(described: dict) -> tuple[dict, dict]:
    """(credentials, settings) for a Connection to the sandbox described by `describe()`.

    Only the store URL is needed: the client finds the API at `<store>/api/2.0`, exactly as
    for a real store, so editing the connection later cannot lose a hidden setting."""
    credentials = {"email": described["email"], "api_key": described["api_key"]}
    settings = {"store_url": described["store_url"]}
    return credentials, settings


__all__ = ["CsCartSandbox", "connection_values"]
