"""Every model reply an evaluation paid for, kept so that nothing is paid for twice.

An evaluation of a few hundred examples on two models costs money and minutes. If it is stopped
(Ctrl+C, a dropped SSH session, a service that gave up), the next run must continue where it
stopped; and grading a finished run again with another grader must ask no model at all. So each
reply is stored under a key made of everything that decides it: the service (its kind and
address, never a key), the model, the messages and the request options (sampling parameters,
response format). A later request with the same key is answered from here.

The store is one SQLite file in the data folder: several processes may evaluate at once (two
terminals, the app), and SQLite's own locking keeps their writes whole; a write is committed at
once (in its write-ahead log, without waiting for the disk), so a killed run keeps every reply
it received. A damaged file is moved aside and started
afresh (the cache only ever saves money, losing it loses nothing else).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE_FILE = "eval-replies.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    latency REAL NOT NULL,
    saved_at REAL NOT NULL
)
"""


@dataclass(frozen=True)
class CachedReply:
    """A reply as it was received: its text, the tokens billed and how long it took."""

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency: float


def reply_key(
    service: str,
    model: str,
    messages: Sequence[Mapping[str, Any]],
    options: Mapping[str, Any] | None = None,
) -> str:
    """The cache key of one request: a SHA-256 of the service, the model, the messages and the
    options, in a canonical JSON form (key order and spacing do not change it)."""
    canonical = json.dumps(
        [service, model, list(messages), dict(options or {})],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ReplyCache:
    """The stored replies. Safe to share between the tasks of one event loop and with other
    processes; `get` and `put` take well under a millisecond, so they run inline."""

    def __init__(self, path: Path | None = None, *, reuse: bool = True) -> None:
        """`reuse=False` (`--fresh`): nothing is answered from the store, but every new reply is
        still saved, so the run after a fresh one is free again."""
        self.reuse = reuse
        if path is None:
            from tuner.config import data_dir

            path = data_dir() / CACHE_FILE
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open()
            except sqlite3.DatabaseError:  # not a database (a damaged or foreign file)
                with contextlib.suppress(OSError):
                    self.path.replace(self.path.with_name(self.path.name + ".damaged"))
                self._db = self._open()
        return self._db

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # Committed replies survive a killed process without an fsync per reply (which
            # stalled the event loop ~20 ms a reply); only a power cut may lose the last few,
            # and a lost reply is only asked again.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA)
            db.commit()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get(self, key: str) -> CachedReply | None:
        """The reply stored under `key`, or None (always None when not `reuse`)."""
        if not self.reuse:
            return None
        with self._lock:
            row = (
                self._connection()
                .execute(
                    "SELECT text, prompt_tokens, completion_tokens, latency FROM replies "
                    "WHERE key = ?",
                    (key,),
                )
                .fetchone()
            )
        return CachedReply(*row) if row is not None else None

    def put(self, key: str, reply: CachedReply) -> None:
        """Store `reply` under `key` (replacing an older one), committed before this returns."""
        with self._lock:
            db = self._connection()
            db.execute(
                "INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key,
                    reply.text,
                    reply.prompt_tokens,
                    reply.completion_tokens,
                    reply.latency,
                    time.time(),
                ),
            )
            db.commit()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
