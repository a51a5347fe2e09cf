"""Validation + token counting throughput and memory on a large file, against a reference.

The reference is what the cookbook-style data-prep script does, single-threaded: read every line
into memory, `json.loads` each, `encoding.encode` every message value. tuner streams the file in
byte ranges over a process pool, so it should be faster and hold far less memory.

Target (issue 3): on ~200k chat examples (~450 MB), at least 2.5x the reference's throughput with
peak RSS (the whole process tree) under 150 MB.

    python benchmarks/validate_bench.py [--examples 200000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, make_chat_file, measure

MODEL = "gpt-4o-mini-2024-07-18"

REFERENCE = """
import json, sys
from tuner.data.tokens.encodings import load_encoding
enc = load_encoding("o200k_base")
with open(sys.argv[1], encoding="utf-8") as f:
    dataset = [json.loads(line) for line in f]
total = 0
for example in dataset:
    n = 3
    for message in example["messages"]:
        n += 3
        for key, value in message.items():
            n += len(enc.encode(value))
            if key == "name":
                n += 1
    total += n
print(total)
"""

TUNER = """
import sys
from tuner.data.analysis.analyse import analyse_file
report = analyse_file(sys.argv[1], model=sys.argv[2])
assert report.valid, report.errors[:3]
print(report.tokens_total)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200_000)
    args = parser.parse_args()

    path = make_chat_file(DATA_DIR / f"chat-{args.examples}.jsonl", args.examples)
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size_mb:.0f} MB, {args.examples:,} examples")

    reference = measure(REFERENCE, str(path))
    tuner = measure(TUNER, str(path), MODEL)
    ours, theirs = tuner.stdout.strip(), reference.stdout.strip()
    if ours != theirs:
        raise SystemExit(f"token totals differ: reference {theirs} vs tuner {ours}")
    print(f"tokens counted (both agree): {int(tuner.stdout):,}")
    print(f"{'':10} {'seconds':>8} {'MB/s':>8} {'peak PSS MB':>12} {'RSS sum MB':>11}")
    for name, m in (("reference", reference), ("tuner", tuner)):
        print(
            f"{name:10} {m.seconds:8.1f} {size_mb / m.seconds:8.1f} "
            f"{m.peak_pss_mb:12.0f} {m.peak_rss_mb:11.0f}"
        )
    ratio = reference.seconds / tuner.seconds
    print(f"throughput ratio tuner/reference: {ratio:.2f}x (target >= 2.5x)")
    print(
        f"tuner peak memory of the process tree: {tuner.peak_pss_mb:.0f} MB PSS "
        f"(target < 150 MB; RSS added up per process, counting the shared vocabulary "
        f"once per worker: {tuner.peak_rss_mb:.0f} MB)"
    )


if __name__ == "__main__":
    main()
