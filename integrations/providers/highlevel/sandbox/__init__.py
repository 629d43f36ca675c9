"""A faithful local copy of the HighLevel Contacts API, OAuth and webhooks (see app.py)."""

from integrations.providers.highlevel.sandbox.app import HighLevelSandbox

__all__ = ["HighLevelSandbox"]
