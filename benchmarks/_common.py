"""Helpers the benchmark scripts share: test data generation and process-tree measurement.

Benchmarks print figures against a reference measured in the same run, never a timed assert:
the machine they run on changes, the ratio is what the targets are about.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

DATA_DIR = Path(__file__).resolve().parent / ".data"

_WORDS = (
    "the model learns from each example so write answers the way you want them "
    "training data quality matters more than quantity keep system prompts short "
    "customer order refund shipping invoice account password reset delivery tracking "
    "merhaba teşekkürler sipariş kargo iade hesap şifre fatura yardımcı olabilir miyim "
    "python function returns list dictionary error exception retry timeout request"
).split()


def make_chat_file(path: Path, examples: int, seed: int = 7) -> Path:
    """Write `examples` realistic chat examples (system, user, assistant) as JSONL.

    Sizes are chosen so 200k examples make a file of about 450 MB, the size the targets name.
    User and assistant texts are random and unique; the system prompt is one of three, as in a
    real dataset where every example repeats the same instructions.
    The file is cached by name: generating it costs more than some of the runs it serves.
    """
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)

    def text(words: int) -> str:
        return " ".join(rng.choices(_WORDS, k=words)).capitalize() + "."

    # As in real datasets, every example carries one of a few system prompts.
    system_prompts = [text(25) for _ in range(3)]

    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out:
        for _ in range(examples):
            example = {
                "messages": [
                    {"role": "system", "content": rng.choice(system_prompts)},
                    {"role": "user", "content": text(rng.randint(80, 160))},
                    {"role": "assistant", "content": text(rng.randint(130, 200))},
                ]
            }
            out.write(orjson.dumps(example) + b"\n")
    os.replace(tmp, path)
    return path


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float  # resident set of every process in the tree, added up
    peak_pss_mb: float  # the same with shared pages divided among the processes sharing them
    stdout: str


def _tree_memory_kb(root: int) -> tuple[int, int]:
    """(RSS, PSS) of a process and all its descendants, from /proc (Linux).

    Forked workers share the parent's pages (the tokenizer vocabulary); RSS counts a shared page
    once per process, PSS divides it among them, so PSS is what the tree really occupies.
    """
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        pid = int(entry)
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total_rss = total_pss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        total_rss += rss.get(pid, 0)
        total_pss += _pss_kb(pid)
        stack.extend(children.get(pid, []))
    return total_rss, total_pss


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def measure(code: str, *args: str) -> Measured:
    """Run `code` in a fresh interpreter; wall time and the peak RSS of its whole process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        rss, pss = _tree_memory_kb(proc.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed with exit code {proc.returncode}")
    return Measured(seconds, peak_rss / 1024, peak_pss / 1024, out)
