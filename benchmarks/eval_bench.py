"""`tuner eval` against a slow and a rate-limited service: time, throughput and memory.

Three figures, each against what is ideal for the same service measured here:

- throughput: 200 examples x 2 models, each reply taking 0.5 s, 8 in flight per model. The
  ideal is 200 / 8 x 0.5 s = 12.5 s (both models at once); the target is within 1.25x of it.
- a rate limit: the service allows N requests a minute (its 429s carry Retry-After). No example
  may fail, and after the first minute's burst the rate achieved should be within 10% of N.
- memory: 10,000 examples through one model (no latency): the peak RSS of the process that runs
  the evaluation (the service runs in a process of its own), target at most 150 MB.

The service is tuner's emulator (`--latency`, `--rpm`) in its own process, asked over HTTP by
the real SDK, with a fresh reply cache so every request is really made.

    python benchmarks/eval_bench.py [--examples 200] [--rpm 600 --rpm-requests 1200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import measure

SERVE = """
import sys
from tuner.emulator import Emulator
latency, rpm = float(sys.argv[1]), int(sys.argv[2]) or None
# A fast clock: the streamed chunks' own pacing vanishes and a reply takes `latency` alone.
emulator = Emulator(api_key="test-key", latency=latency, rpm=rpm, speed=1000).start()
print(emulator.base_url, flush=True)
sys.stdin.read()
emulator.stop()
"""

# Runs one evaluation and prints the seconds of the run itself (not the interpreter's start).
EVALUATE = """
import asyncio, json, sys, time
from pathlib import Path
from tuner.api.eval.reply_cache import ReplyCache
from tuner.api.eval.session import EvalChoices, prepare_eval, run_eval
from tuner.api.eval.targets import EvalServices
from tuner.config import load_settings

async def main():
    file, out, concurrency = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    models = tuple(sys.argv[4:])
    services = EvalServices(load_settings())
    try:
        choices = EvalChoices(file=file, models=models, out=out, graders=("exact",))
        prepared = await prepare_eval(choices, services)
        cache = ReplyCache(out / "cache.sqlite", reuse=False)
        started = time.perf_counter()
        outcome = await run_eval(prepared, cache=cache, concurrency=concurrency)
        seconds = time.perf_counter() - started
    finally:
        await services.close()
    failed = sum(m.failures for m in outcome.summary.models)
    print(json.dumps({"seconds": seconds, "failed": failed, "n": outcome.summary.examples}))

asyncio.run(main())
"""

MODELS = ("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06")


def _eval_file(path: Path, examples: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(examples):
            messages = [
                {"role": "user", "content": f"Siparişim LM-{i:05d} nerede? Where is order {i}?"},
                {"role": "assistant", "content": f"Order LM-{i:05d} is on its way."},
            ]
            out.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")
    return path


class Service:
    """The emulator in a process of its own, for the length of a `with`."""

    def __init__(self, latency: float, rpm: int | None) -> None:
        self.args = [str(latency), str(rpm or 0)]

    def __enter__(self) -> str:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _run(base_url: str, file: Path, work: Path, concurrency: int, *models: str) -> tuple:
    os.environ.update(
        OPENAI_BASE_URL=base_url,
        OPENAI_API_KEY="test-key",
        TUNER_CONFIG_DIR=str(work / "config"),
        TUNER_DATA_DIR=str(work / "data"),
    )
    out = work / f"run-{len(list(work.glob('run-*')))}"
    measured = measure(EVALUATE, str(file), str(out), str(concurrency), *models)
    return json.loads(measured.stdout), measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rpm", type=int, default=600)
    parser.add_argument("--rpm-requests", type=int, default=1200)
    parser.add_argument("--memory-examples", type=int, default=10_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        file = _eval_file(work / "eval.jsonl", args.examples)
        with Service(args.latency, None) as url:
            result, _ = _run(url, file, work, args.concurrency, *MODELS)
        ideal = args.examples / args.concurrency * args.latency
        print(
            f"throughput: {args.examples} examples x {len(MODELS)} models at {args.latency} s a "
            f"reply, {args.concurrency} in flight: {result['seconds']:.1f} s, ideal {ideal:.1f} s, "
            f"ratio {result['seconds'] / ideal:.2f} (target <= 1.25); {result['failed']} failed"
        )

        file = _eval_file(work / "limited.jsonl", args.rpm_requests)
        with Service(0.0, args.rpm) as url:
            result, _ = _run(url, file, work, args.concurrency, MODELS[0])
        # The first minute's allowance goes at once; every later request waits for the window.
        steady = max(args.rpm_requests - args.rpm, 0)
        ideal = steady / args.rpm * 60
        rate = steady / result["seconds"] * 60 if result["seconds"] > 0 else float("inf")
        print(
            f"rate limit: {args.rpm_requests} requests at {args.rpm} a minute: "
            f"{result['seconds']:.1f} s (ideal {ideal:.1f} s), {rate:.0f} a minute after the "
            f"first minute's burst, {rate / args.rpm:.0%} of the limit (target >= 90%); "
            f"{result['failed']} failed (target 0)"
        )

        file = _eval_file(work / "big.jsonl", args.memory_examples)
        with Service(0.0, None) as url:
            result, measured = _run(url, file, work, args.concurrency, MODELS[0])
        print(
            f"memory: {args.memory_examples:,} examples, 1 model: peak RSS "
            f"{measured.peak_rss_mb:.0f} MB (target <= 150), {result['seconds']:.1f} s; "
            f"{result['failed']} failed"
        )


if __name__ == "__main__":
    main()
