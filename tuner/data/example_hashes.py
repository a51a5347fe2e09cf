"""Which line first held each distinct example: a compact table for the duplicate check.

The duplicate-example rule needs, for every distinct example of a file, the line where it first
appeared. A Python dict costs about 110 bytes a distinct example (two int objects and an
entry): fine for the first `DICT_LIMIT` of them (about 28 MB), and the fastest thing Python
has. Past that the table moves to two flat arrays, a 64-bit hash and a 32-bit line a slot (open
addressing, linear probing: 12 bytes a slot, doubled as needed) up to `limit` distinct hashes
(`MAX_DISTINCT_EXAMPLES` by default: at most 2**22 slots, 48 MB). Past the limit new examples
are not tracked (`untracked` counts them) and the duplicate check says it covered only the
first ones.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterable, Iterator

# About 3 million distinct examples: a table of 2**22 slots, 48 MB.
MAX_DISTINCT_EXAMPLES = 3 * (1 << 20)
# Up to this many, a dict (fast); past it, the arrays (compact).
DICT_LIMIT = 1 << 18
_LOAD = 0.75
# Where a hash starts probing: its top bits after mixing with the table's own random salt.
# Two tables of the same layout would list their entries in the order the other stores
# them, and copying one into the other (merging a worker's table) would then pile every
# entry onto one ever-growing run of slots: quadratic. The salt makes each table's order its
# own.
_MIX = 0x9E3779B97F4A7C15
_M64 = (1 << 64) - 1


def _slots_for(count: int) -> int:
    slots = 1 << 10
    while slots * _LOAD < count:
        slots *= 2
    return slots


class FirstLines:
    """{64-bit hash: first line} for up to `limit` distinct hashes."""

    __slots__ = (
        "_dict",
        "_keys",
        "_lines",
        "_mask",
        "_max_slots",
        "_salt",
        "_shift",
        "_size",
        "_zero",
        "limit",
        "untracked",
    )

    def __init__(self, limit: int = MAX_DISTINCT_EXAMPLES) -> None:
        self.limit = limit
        self.untracked = 0  # examples whose hash was new when the table was full
        self._dict: dict[int, int] | None = {}
        self._keys = array("Q")
        self._lines = array("I")
        self._mask = 0
        self._shift = 64
        self._salt = random.getrandbits(64)
        self._max_slots = _slots_for(limit)
        self._size = 0
        self._zero: int | None = None  # the line of hash 0, in the arrays' time

    def __len__(self) -> int:
        return len(self._dict) if self._dict is not None else self._size

    def __getstate__(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    def get_or_add(self, digest: int, line: int) -> int | None:
        """The line recorded for `digest`, or None after recording `line` for it (when the
        table is full, nothing is recorded and `untracked` counts it)."""
        table = self._dict
        if table is not None:
            first = table.get(digest)
            if first is not None:
                return first
            if len(table) < DICT_LIMIT and len(table) < self.limit:
                table[digest] = line
                return None
            if len(table) >= self.limit:
                self.untracked += 1
                return None
            self._to_arrays()
        if not digest:  # 0 marks an empty slot of the arrays: hash 0 is kept aside
            if self._zero is not None:
                return self._zero
            if self._size >= self.limit:
                self.untracked += 1
                return None
            self._zero = line
            self._size += 1
            return None
        key = digest
        keys = self._keys
        mask = self._mask
        i = (((key ^ self._salt) * _MIX) & _M64) >> self._shift
        while True:
            found = keys[i]
            if found == key:
                return self._lines[i]
            if not found:
                break
            i = (i + 1) & mask
        if self._size >= self.limit:
            self.untracked += 1
            return None
        if self._size + 1 > _LOAD * (mask + 1) and mask + 1 < self._max_slots:
            self._rebuild(2 * (mask + 1), _entries(self._keys, self._lines, self._zero))
            return self.get_or_add(digest, line)
        keys[i] = key
        self._lines[i] = line
        self._size += 1
        return None

    def replace(self, digest: int, line: int) -> None:
        """Record `line` as the first for `digest`, which is in the table."""
        if self._dict is not None:
            self._dict[digest] = line
            return
        if not digest:
            self._zero = line
            return
        key = digest
        keys, mask = self._keys, self._mask
        i = (((key ^ self._salt) * _MIX) & _M64) >> self._shift
        while keys[i] != key:
            i = (i + 1) & mask
        self._lines[i] = line

    def get(self, digest: int) -> int | None:
        if self._dict is not None:
            return self._dict.get(digest)
        if not digest:
            return self._zero
        key = digest
        keys, mask = self._keys, self._mask
        i = (((key ^ self._salt) * _MIX) & _M64) >> self._shift
        while True:
            found = keys[i]
            if found == key:
                return self._lines[i]
            if not found:
                return None
            i = (i + 1) & mask

    def items(self) -> Iterator[tuple[int, int]]:
        """(hash, first line) of every recorded example, in no particular order."""
        if self._dict is not None:
            yield from self._dict.items()
            return
        yield from _entries(self._keys, self._lines, self._zero)

    def _to_arrays(self) -> None:
        """Move from the dict to the arrays (room for twice as many; they double as needed)."""
        table = self._dict or {}
        self._dict = None
        self._rebuild(min(_slots_for(2 * len(table)), self._max_slots), table.items())

    def _rebuild(self, slots: int, entries: Iterable[tuple[int, int]]) -> None:
        self._keys = keys = array("Q", bytes(8 * slots))
        self._lines = lines = array("I", bytes(4 * slots))
        self._mask = mask = slots - 1
        self._shift = shift = 64 - (slots.bit_length() - 1)
        salt = self._salt
        size = 0
        for key, line in entries:
            size += 1
            if not key:
                self._zero = line
                continue
            i = (((key ^ salt) * _MIX) & _M64) >> shift
            while keys[i]:
                i = (i + 1) & mask
            keys[i] = key
            lines[i] = line
        self._size = size


def _entries(keys: array, lines: array, zero: int | None) -> Iterator[tuple[int, int]]:
    """(hash, line) of the filled slots of these arrays, and hash 0's line when it has one."""
    if zero is not None:
        yield 0, zero
    for i, key in enumerate(keys):
        if key:
            yield key, lines[i]
