"""`tuner split` on a large file: time and peak memory, against the naive split.

The reference is what a quick script does: read every line into memory, shuffle, write the two
parts. tuner keeps 8 bytes per line (a hash) and streams the file twice, so its memory should
stay near the interpreter's own whatever the file's size, while its time stays within a small
factor of the reference (it parses each line once to find its prompt).

    python benchmarks/split_bench.py [--examples 50000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, make_chat_file, measure

REFERENCE = """
import random, sys
from pathlib import Path
lines = Path(sys.argv[1]).read_bytes().splitlines(keepends=True)
random.Random(0).shuffle(lines)
cut = len(lines) // 10
out = Path(sys.argv[2])
(out / "ref.holdout.jsonl").write_bytes(b"".join(lines[:cut]))
(out / "ref.train.jsonl").write_bytes(b"".join(lines[cut:]))
print(len(lines))
"""

TUNER = """
import sys
from tuner.data.eval.split import parse_holdout, split_file
result = split_file(sys.argv[1], parse_holdout("10%"), out_dir=sys.argv[2], force=True)
print(result.train_examples + result.holdout_examples)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50_000)
    args = parser.parse_args()

    path = make_chat_file(DATA_DIR / f"chat-{args.examples}.jsonl", args.examples)
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size_mb:.0f} MB, {args.examples:,} examples")
    with tempfile.TemporaryDirectory() as out:
        reference = measure(REFERENCE, str(path), out)
        tuner = measure(TUNER, str(path), out)
    assert reference.stdout.strip() == tuner.stdout.strip() == str(args.examples)
    print(
        f"reference (read all, shuffle): {reference.seconds:6.2f} s, "
        f"peak RSS {reference.peak_rss_mb:6.0f} MB"
    )
    print(
        f"tuner split (two streams):     {tuner.seconds:6.2f} s, "
        f"peak RSS {tuner.peak_rss_mb:6.0f} MB"
    )
    print(
        f"time {tuner.seconds / reference.seconds:.2f}x the reference; "
        f"memory {tuner.peak_rss_mb / reference.peak_rss_mb:.2f}x"
    )


if __name__ == "__main__":
    main()
