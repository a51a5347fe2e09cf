"""Searching a large dataset for a text, ignoring case in every script.

`tuner.data.jsonl.search.search_file` folds case the Unicode way (with Turkish i) and reads JSON
escapes, so a query finds "İndirim", "Straße" or "ΛΌΓΟΣ" whatever case the file uses. The
reference, measured in the same run on the same file, is the byte search it replaced: ASCII
letters lowered, the query's lower- and upper-case forms found with `bytes.find` (it missed
those matches). Each figure is the best of three runs over the whole file.

    python benchmarks/search_bench.py [--examples 200000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, make_chat_file

from tuner.data.jsonl.search import search_file

QUERIES = ("sipariş", "Teşekkürler", "indirim")  # common, common, absent


def bytes_search(path: Path, query: str) -> int:
    """The old search: ASCII-lowered bytes and the query's simple case forms; matching lines."""
    forms = {v.encode().lower() for v in (query, query.lower(), query.upper())}
    lines = 0
    rest = b""
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4 << 20), b""):
            *whole, rest = (rest + chunk).lower().split(b"\n")
            lines += sum(1 for line in whole if any(form in line for form in forms))
    return lines + any(form in rest for form in forms)


def folded_search(path: Path, query: str) -> int:
    return sum(len(batch.lines) for batch in search_file(path, query))


def best_of(runs: int, fn, *args) -> tuple[float, int]:
    best, result = float("inf"), 0
    for _ in range(runs):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200_000)
    args = parser.parse_args()
    path = make_chat_file(DATA_DIR / f"chat-{args.examples}.jsonl", args.examples)
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size_mb:.0f} MB")
    print(f"{'query':<14}{'folded':>10}{'lines':>9}{'bytes (ref)':>13}{'lines':>9}{'ratio':>8}")
    for query in QUERIES:
        folded, found = best_of(3, folded_search, path, query)
        reference, ref_found = best_of(3, bytes_search, path, query)
        print(
            f"{query:<14}{folded:>9.2f}s{found:>9,}{reference:>12.2f}s{ref_found:>9,}"
            f"{folded / reference:>7.2f}x   ({size_mb / folded:.0f} MB/s)"
        )


if __name__ == "__main__":
    main()
