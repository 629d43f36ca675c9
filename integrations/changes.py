"""Changes that other systems told us about, handed to whoever listens.

`integrations` never imports `sync` (house style §8): the sync app registers its listener when
it starts (`sync/apps.py`), and the webhook inbox publishes the `ChangeEvent`s its adapters
parse from a verified delivery. A listener takes the events it wants, stores them (in the
caller's transaction) and says how many it took: the inbox marks the delivery processed
when one was taken, ignored when none was.
"""

from collections.abc import Callable, Sequence

from integrations.providers.base import ChangeEvent

Listener = Callable[[list[ChangeEvent]], int]

_listeners: list[Listener] = []


def change_listener_add(listener: Listener) -> None:
    """Register a listener once (registering it again, as a reloaded app would, is a no-op)."""
    if listener not in _listeners:
        _listeners.append(listener)


def change_listener_remove(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def changes_publish(events: Sequence[ChangeEvent]) -> int:
    """Offer the events to every listener; returns how many changes they took in all.
    A listener's error propagates, so the caller's transaction (and its row) rolls back."""
    if not events:
        return 0
    return sum(listener(list(events)) for listener in list(_listeners))
