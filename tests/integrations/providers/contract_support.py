"""What each provider's test folder gives the shared contract suite (test_contract.py).

`tests/integrations/providers/<key>/contract.py` defines `HARNESS`, an instance of a
`Harness` subclass that starts that provider's sandbox in-process over real HTTP and acts
in it as the system's own users would. The suite never reaches into a sandbox any other way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from integrations.providers.base import ObjectType


class Harness(ABC):
    key: str  # the provider key
    object_type: ObjectType = ObjectType.CONTACT
    # How many records the sandbox is seeded with (the full read must see them all) and the
    # page size the adapter is told to use, small so reads cross pages.
    seeded: int = 30
    page_size: int = 7

    @abstractmethod
    def start(self) -> None:
        """Start the sandbox (seeded with `seeded` records, generous rate limit)."""

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def make_connection(self, workspace):
        """A saved Connection to the running sandbox (as "Use sandbox" makes one)."""

    def adapter(self, connection, page_size: int | None = None):
        """The adapter under test, reading in small pages (`page_size`, default the
        harness's) so reads cross pages."""
        from integrations.providers.registry import adapter_for

        return adapter_for(connection, self.object_type, page_size=page_size or self.page_size)

    @abstractmethod
    def new_payload(self, n: int) -> dict:
        """A valid create payload for the adapter (the provider's own field names), unique
        by `n`: its e-mail must be `contract-{n}@example.com` and its phone
        `+1415555{n:04d}` where the system stores one."""

    @abstractmethod
    def change_payload(self, n: int) -> dict:
        """An update payload that visibly changes a record (e.g. its name to `Changed {n}`)."""

    @abstractmethod
    def bad_payload(self) -> dict:
        """A create payload the adapter or the system refuses (e.g. `{"email": "not an
        e-mail"}` in the provider's field names): it must raise a PermanentError subclass."""

    # An id of the system's shape that no record has (a GET for it answers 404).
    missing_id: str = "999999999"

    @abstractmethod
    def change_outside(self, external_id: str, n: int) -> None:
        """Change the record as the system's own admin would (through the sandbox's
        `/_control`), so the change is not ours and its update time moves."""

    @abstractmethod
    def remove_outside(self, external_id: str) -> None:
        """Delete (or deactivate, per the system's delete mode) the record as its admin would."""

    def tick(self) -> None:
        """Let the system's clock move past the precision of its timestamps, when a test
        needs two changes to carry different update times (default: sleep 1.1 s)."""
        import time

        time.sleep(1.1)

    def webhook_deliveries(self) -> list[tuple[bytes, dict]]:
        """(raw body, headers) of every webhook the sandbox sent since the last call; [] for
        systems that send none. The suite verifies each with the provider's verifier and
        parses it with the adapter."""
        return []

    def clear_webhooks(self) -> None:  # noqa: B027 (optional)
        """Forget the deliveries so far."""
