"""A small JSON-document store for sandbox state: SQLite on disk (or in memory) behind an
in-memory index, so reads are dictionary lookups and state survives restarts when asked."""

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class Store:
    def __init__(self, path: str | Path | None = None):
        self.path = str(path) if path else ":memory:"
        self.lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS docs "
            "(kind TEXT, id TEXT, data TEXT, PRIMARY KEY (kind, id))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self._docs: dict[str, dict[str, dict]] = {}
        for kind, doc_id, data in self._db.execute(
            "SELECT kind, id, data FROM docs ORDER BY rowid"
        ):
            self._docs.setdefault(kind, {})[doc_id] = json.loads(data)
        self._in_batch = False

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group writes into one SQLite transaction (seeding thousands of records)."""
        with self.lock:
            self._db.execute("BEGIN")
            self._in_batch = True
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._in_batch = False

    def get(self, kind: str, doc_id: str) -> dict | None:
        with self.lock:
            doc = self._docs.get(kind, {}).get(doc_id)
            return json.loads(json.dumps(doc)) if doc is not None else None

    def put(self, kind: str, doc_id: str, data: dict) -> dict:
        with self.lock:
            self._docs.setdefault(kind, {})[doc_id] = json.loads(json.dumps(data))
            self._db.execute(
                "INSERT OR REPLACE INTO docs (kind, id, data) VALUES (?, ?, ?)",
                (kind, doc_id, json.dumps(data)),
            )
            return data

    def delete(self, kind: str, doc_id: str) -> bool:
        with self.lock:
            existed = self._docs.get(kind, {}).pop(doc_id, None) is not None
            self._db.execute("DELETE FROM docs WHERE kind = ? AND id = ?", (kind, doc_id))
            return existed

    def all(self, kind: str) -> list[dict]:
        """Copies of every document of a kind, in insertion order."""
        with self.lock:
            return [json.loads(json.dumps(doc)) for doc in self._docs.get(kind, {}).values()]

    def ids(self, kind: str) -> list[str]:
        with self.lock:
            return list(self._docs.get(kind, {}))

    def count(self, kind: str) -> int:
        with self.lock:
            return len(self._docs.get(kind, {}))

    def get_meta(self, key: str, default: Any = None) -> Any:
        with self.lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value))
            )

    def close(self) -> None:
        with self.lock:
            self._db.close()
