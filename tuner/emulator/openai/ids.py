"""Object ids shaped like the service's (`file-…`, `ftjob-…`, `ftckpt_…`).

Ids are unpredictable by default: a demo emulator holds users' uploaded training data, and
its first upload must not always be the same `file-…` that any local page or process could
guess. A seed makes them reproducible instead (tests and snapshot pictures rely on it): the
same seed gives the same ids in the same order.
"""

from __future__ import annotations

import random
import secrets
import string
import threading

_ALPHABET = string.ascii_letters + string.digits

# prefix -> length of the random part, as the service's ids look today.
_LENGTHS = {
    "file-": 22,
    "ftjob-": 24,
    "ftevent-": 24,
    "ftckpt_": 24,
    "upload_": 24,
    "part_": 24,
    "chatcmpl-": 29,
}


class IdFactory:
    """Makes unique ids for one emulator: random, or deterministic for a given `seed`."""

    def __init__(self, seed: int | None) -> None:
        self._rng: random.Random = secrets.SystemRandom() if seed is None else random.Random(seed)
        self._lock = threading.Lock()
        self._issued: set[str] = set()

    def token(self, length: int) -> str:
        """A random alphanumeric string, never issued before by this factory."""
        with self._lock:
            while True:
                value = "".join(self._rng.choice(_ALPHABET) for _ in range(length))
                if value not in self._issued:
                    self._issued.add(value)
                    return value

    def new(self, prefix: str) -> str:
        """A new id with one of the service's prefixes, e.g. `new("ftjob-")`."""
        return prefix + self.token(_LENGTHS[prefix])
