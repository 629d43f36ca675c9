"""What an API handler gets: the sandbox, the request, the caller's token and API version.

Handlers take `(ctx, **path_params)` and return `(status, body)`; they raise HTTPError
(see errors.py) for 4xx answers. They run under the sandbox lock."""

from dataclasses import dataclass
from typing import Any

from sandboxes.highlevel import errors
from sandboxes.highlevel.config import Config
from sandboxes.highlevel.host import Sandbox
from sandboxes.highlevel.state import Data
from sandboxes.kit.web import HTTPError, Request


@dataclass
class Ctx:
    app: Sandbox
    request: Request
    token: dict
    version: str  # "2021-07-28" or "v3" (or a Config.extra_versions value)

    @property
    def config(self) -> Config:
        return self.app.config

    @property
    def data(self) -> Data:
        return self.app.data

    @property
    def native(self) -> bool:
        return self.app.config.native_types

    @property
    def location_id(self) -> str:
        return self.token["location_id"]

    def body(self) -> Any:
        """The JSON body, or None when there is none (validation then reports the fields)."""
        return self.request.json(required=False)

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.request.arg(name, default)

    def check_location(self, location_id: str) -> None:
        if location_id != self.location_id:
            raise errors.forbidden()

    def not_found(self, what: str) -> HTTPError:
        return errors.not_found(self.config.not_found_status, what)

    def contact(self, contact_id: str) -> dict:
        """The caller's location's contact, or the configured not-found answer."""
        contact = self.data.contact_in(self.location_id, contact_id)
        if contact is None:
            raise self.not_found("Contact")
        return contact

    @property
    def created(self) -> int:
        return self.config.create_status

    def actor(self) -> dict:
        """`createdBy`/`lastUpdatedBy` for a change made with this token."""
        if self.token["kind"] == "pit":
            return {
                "source": "INTEGRATION",
                "channel": "PRIVATE_INTEGRATION",
                "sourceId": self.token["app_key"],
            }
        return {"source": "INTEGRATION", "channel": "OAUTH", "sourceId": self.token["client_id"]}

    def emit(self, event_type: str, location_id: str, payload: dict) -> None:
        self.app.webhooks.emit(event_type, location_id, payload)
