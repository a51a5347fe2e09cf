"""`tuner validate` on inputs built to make memory grow: peak memory and time, against a reference.

Memory must be bounded by the limits tuner reports, not by the file. Each input is validated
by `tuner validate` in a fresh interpreter (text output, then `--json`), and the peak is
measured two ways: `resource.getrusage` in the child (its own peak RSS, and the largest of its
worker processes'), and /proc sampled from outside (the whole process tree, RSS added up and
PSS, which counts the vocabulary the workers share with the parent once).

- 2 million `{}` lines: every line an error and a duplicate (1.6 GB and 159 s before findings
  were kept to a bound per code). Its time is compared with reading the same file with plain
  `for line in f: orjson.loads(line)`, measured in the same run.
- one line of 2 GB: measured, never read (it ended in MemoryError after 6 GB).
- lines just under the longest tuner reads whole (`range_check.line_window`): each one parsed,
  one worker at a time.
- 3.5 million distinct small examples: past the duplicate table's limit of distinct examples.

Targets: every input within 300 MB peak; the 2 million lines within 20 s.

    python benchmarks/bounded_bench.py [--lines 2000000] [--line-gb 2] [--distinct 3500000]

The files are written to a temporary folder and deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Measured, measure

from tuner.data.analysis.range_check import line_window
from tuner.data.catalog.choice import default_catalog

MB = 1024 * 1024

REFERENCE = """
import sys, orjson
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        orjson.loads(line)
        n += 1
print(n)
"""

# tuner validate in this interpreter, its output thrown away; then the peaks getrusage knows.
VALIDATE = """
import json, os, resource, sys
from tuner.cli import main
with open(os.devnull, "w") as sink:
    saved, sys.stdout = sys.stdout, sink
    try:
        code = main(["validate", *sys.argv[1:]])
    finally:
        sys.stdout = saved
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"exit": code, "own_mb": own, "worker_mb": workers}))
"""


def write_empty_objects(path: Path, lines: int) -> None:
    with path.open("wb") as f:
        block = b"{}\n" * 100_000
        for _ in range(lines // 100_000):
            f.write(block)
        f.write(b"{}\n" * (lines % 100_000))


def write_one_line(path: Path, size: int) -> None:
    with path.open("wb") as f:
        f.write(b'{"messages": [{"role": "user", "content": "')
        chunk = b"a" * MB
        written = 0
        while written < size:
            f.write(chunk)
            written += len(chunk)
        f.write(b'"}]}\n')


def write_window_lines(path: Path, count: int, size: int) -> None:
    """`count` chat examples of about `size` bytes each (words, so they are tokenized)."""
    with path.open("wb") as f:
        for i in range(count):
            words = (b"word%d " % i) * (size // 6)
            f.write(b'{"messages": [{"role": "user", "content": "' + words[: size - 80])
            f.write(b'"}, {"role": "assistant", "content": "ok"}]}\n')


def write_distinct(path: Path, count: int) -> None:
    with path.open("wb") as f:
        for start in range(0, count, 100_000):
            f.write(b"".join(b'{"i":%d}\n' % i for i in range(start, min(count, start + 100_000))))


def validate(path: Path, *flags: str) -> tuple[Measured, dict[str, float]]:
    measured = measure(VALIDATE, str(path), *flags)
    return measured, json.loads(measured.stdout.strip().splitlines()[-1])


def report(name: str, size: int, runs: list[tuple[str, Measured, dict[str, float]]]) -> float:
    """Print one row per run; the largest peak of them all (MB, the worst of the measures)."""
    worst = 0.0
    for how, m, peaks in runs:
        peak = max(peaks["own_mb"], peaks["worker_mb"], m.peak_pss_mb)
        worst = max(worst, peak)
        print(
            f"  {name:<22} {how:<6} {size / 1e6:>8,.0f} MB file  {m.seconds:7.1f} s  "
            f"exit {peaks['exit']:.0f}  getrusage: {peaks['own_mb']:5.0f} MB own, "
            f"{peaks['worker_mb']:5.0f} MB largest worker  /proc tree: "
            f"{m.peak_pss_mb:5.0f} MB PSS, {m.peak_rss_mb:5.0f} MB RSS summed"
        )
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--line-gb", type=float, default=2.0)
    parser.add_argument("--distinct", type=int, default=3_500_000)
    parser.add_argument("--window-lines", type=int, default=4)
    args = parser.parse_args()

    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="tuner-bounded-bench-") as folder:
        root = Path(folder)

        empty = root / "empty-objects.jsonl"
        write_empty_objects(empty, args.lines)
        size = empty.stat().st_size
        reference = measure(REFERENCE, str(empty))
        text, text_peaks = validate(empty)
        as_json, json_peaks = validate(empty, "--json")
        print(f"{args.lines:,} lines of {{}}:")
        worst = max(
            worst,
            report("{} lines", size, [("text", text, text_peaks), ("--json", as_json, json_peaks)]),
        )
        print(
            f"  reference (for line in f: orjson.loads(line)): {reference.seconds:.2f} s; "
            f"validate {text.seconds / reference.seconds:.0f}x it (text), "
            f"{as_json.seconds / reference.seconds:.0f}x (--json); "
            f"target: under 20 s ({max(text.seconds, as_json.seconds):.1f} s)"
        )
        empty.unlink()

        long = root / "one-line.jsonl"
        write_one_line(long, int(args.line_gb * 1024 * MB))
        size = long.stat().st_size
        print(f"one line of {size / 1e9:.1f} GB:")
        worst = max(worst, report("one long line", size, [("text", *validate(long))]))
        long.unlink()

        catalog = default_catalog()
        window = line_window(catalog.resolve(catalog.default_model).info.token_limit())
        near = root / "window-lines.jsonl"
        write_window_lines(near, args.window_lines, window - MB)
        size = near.stat().st_size
        print(
            f"{args.window_lines} lines of {(window - MB) / 1e6:.0f} MB (read whole: up to "
            f"{window / 1e6:.0f} MB):"
        )
        worst = max(worst, report("lines near the window", size, [("text", *validate(near))]))
        near.unlink()

        distinct = root / "distinct.jsonl"
        write_distinct(distinct, args.distinct)
        size = distinct.stat().st_size
        print(f"{args.distinct:,} distinct examples:")
        worst = max(
            worst, report("distinct examples", size, [("--json", *validate(distinct, "--json"))])
        )
        distinct.unlink()

    print(f"largest peak over every input and measure: {worst:.0f} MB (target: at most 300 MB)")


if __name__ == "__main__":
    main()
