"""What the handlers get of the sandbox app: its parts, as a Protocol.

Handler modules (contacts, control, oauth, context...) type their `app` argument with
`Sandbox` from here, never with app.py's class, so no handler imports the app module that
imports them (app.py's HighLevelSandbox satisfies this Protocol)."""

import threading
from typing import Protocol

from sandboxes.highlevel.config import Config
from sandboxes.highlevel.ratelimit import RateLimiter
from sandboxes.highlevel.state import Data
from sandboxes.highlevel.tokens import Tokens
from sandboxes.highlevel.webhooks import Webhooks
from sandboxes.kit.kit import Faults, Stats


class Sandbox(Protocol):
    config: Config
    data: Data
    lock: threading.RLock
    credentials: dict
    stats: Stats
    faults: Faults
    limiter: RateLimiter
    tokens: Tokens
    webhooks: Webhooks

    base_url: str

    def reset_config(self) -> None: ...

    def trace_id(self) -> str: ...
