"""Object ids shaped like Together's: `file-<uuid4>`, `ft-<uuid4>`, and short hex tokens.

The shared `IdFactory` makes OpenAI's alphanumeric ids; Together's are UUIDs, so they come from
their own generator, seeded from the emulator's seed so a run is reproducible.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable


class TogetherIds:
    """Makes unique, deterministic ids for the Together side of one emulator."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"together:{seed}")
        self._lock = threading.Lock()
        self._issued: set[str] = set()

    def _unique(self, make: Callable[[], str]) -> str:
        with self._lock:
            while True:
                value = make()
                if value not in self._issued:
                    self._issued.add(value)
                    return value

    def uuid(self, prefix: str) -> str:
        """`prefix` + a version-4 UUID, e.g. `uuid("ft-")`."""
        return self._unique(
            lambda: prefix + str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        )

    def hex(self, length: int) -> str:
        """A random lowercase hex token (short model-name ids, upload tokens, chat ids)."""
        return self._unique(lambda: f"{self._rng.getrandbits(4 * length):0{length}x}")
