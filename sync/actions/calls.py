"""Counting the API calls an action made, retries included, as the runs report them.

Every provider client sends through its transport's `requests` session, so a response hook
on the sessions an action uses sees each request that got an answer, whichever client
method (or adapter, or retry) sent it.
"""

from __future__ import annotations

from typing import Any


class CallCount:
    """with CallCount() as calls: calls.watch(client); ...; calls.count"""

    def __init__(self) -> None:
        self.count = 0
        self._sessions: list[Any] = []

    def _hook(self, response, *args, **kwargs):
        self.count += 1
        return response

    def watch(self, client: Any) -> Any:
        """Count what `client` sends from now until the block ends; returns the client."""
        transport = getattr(client, "transport", None)
        session = getattr(transport, "session", None)
        if session is not None and not any(s is session for s in self._sessions):
            session.hooks["response"].append(self._hook)
            self._sessions.append(session)
        return client

    def __enter__(self) -> CallCount:
        return self

    def __exit__(self, *exc) -> None:
        for session in self._sessions:
            hooks = session.hooks["response"]
            if self._hook in hooks:
                hooks.remove(self._hook)
        self._sessions.clear()
