"""What the Ecwid handlers share: the store, the lock, the knobs, ids, the clock, tokens and
webhooks. The app builds one `EcwidState` and hands it to every handler, so handlers never
import the app module back (no import loop: app → customers/control → state)."""

import threading
import time
from collections.abc import Callable

from sandboxes.ecwid.events import Events
from sandboxes.ecwid.knobs import Knobs
from sandboxes.kit.store import Store

CUSTOMER, DELETED, GROUP = "customer", "deleted", "group"
FIRST_ID = 100_000_001


class EcwidState:
    def __init__(
        self,
        *,
        store: Store,
        credentials: dict,
        knobs: Callable[[], Knobs],
        base_url: Callable[[], str],
        test_mode: bool,
    ):
        self.store = store
        self.credentials = credentials
        self._knobs = knobs
        self._base_url = base_url
        self.test_mode = test_mode
        self.lock = threading.RLock()
        self.mute_webhooks = False
        self.events: Events | None = None  # set by the app once the sender exists
        self._next_id = store.get_meta("next_id", FIRST_ID)

    @property
    def knobs(self) -> Knobs:
        return self._knobs()

    @property
    def base_url(self) -> str:
        return self._base_url()

    def now(self) -> int:
        """Ecwid's clock: UNIX seconds, the precision of its `registered`/`updated`."""
        return int(time.time())

    def next_id(self) -> int:
        with self.lock:
            value = self._next_id
            self._next_id += 1
            self.store.set_meta("next_id", self._next_id)
            return value

    def group_names(self) -> dict[int, str]:
        names = {0: "General"}
        names.update((doc["id"], doc["name"]) for doc in self.store.all(GROUP))
        return names

    def tokens(self) -> dict:
        return self.store.get_meta("tokens", {})

    def emit(self, event_type: str, entity_id: int, data: dict) -> None:
        if self.events is not None and not self.mute_webhooks:
            self.events.emit(event_type, entity_id, data)
