"""Start-up time of `tuner <demo folder>`: process start to the first painted frame.

Each run is a fresh interpreter. The parent notes the wall-clock time just before it starts the
child; the child runs the real entry point (`tuner.cli.main([folder])`) headless, and when the
first screen has been mounted and refreshed it writes the elapsed time and whether `openai` was
imported, then exits. `python -c "import textual.app"` is measured the same way, in the same
run, as the floor no Textual app can beat.

    python benchmarks/startup_bench.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 0.6
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

DRIVER = r"""
import json, os, sys, time
T0 = float(os.environ["BENCH_T0"])
OUT = os.environ["BENCH_OUT"]
from textual.app import App

_run = App.run

def run(self, *args, **kwargs):
    async def first_frame(pilot):
        def done():
            with open(OUT, "w") as f:
                json.dump({"seconds": time.time() - T0, "openai": "openai" in sys.modules}, f)
            self.exit()
        self.call_after_refresh(done)
    kwargs.update(headless=True, auto_pilot=first_frame)
    return _run(self, *args, **kwargs)

App.run = run
from tuner.cli import main
main([sys.argv[1]])
"""

REFERENCE = r"""
import os, sys, time
import textual.app
with open(os.environ["BENCH_OUT"], "w") as f:
    f.write(str(time.time() - float(os.environ["BENCH_T0"])))
"""


def _run_child(code: str, args: list[str], env: dict[str, str], out: Path) -> str:
    env = {**env, "BENCH_T0": repr(time.time()), "BENCH_OUT": str(out)}
    subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
    )
    return out.read_text()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from tuner.demo import copy_demo_data

    with tempfile.TemporaryDirectory(prefix="tuner-bench-") as tmp:
        home = Path(tmp)
        folder = copy_demo_data(home)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        for name in ("CONFIG", "DATA", "CACHE"):
            path = home / name.lower()
            path.mkdir()
            env[f"TUNER_{name}_DIR"] = str(path)
        out = home / "result"
        # One warm-up of each, so the first measured run does not pay for cold .pyc files.
        _run_child(DRIVER, [str(folder)], env, out)
        _run_child(REFERENCE, [], env, out)
        app_times: list[float] = []
        ref_times: list[float] = []
        openai_seen = False
        for _ in range(args.runs):
            result = json.loads(_run_child(DRIVER, [str(folder)], env, out))
            app_times.append(result["seconds"])
            openai_seen |= result["openai"]
            ref_times.append(float(_run_child(REFERENCE, [], env, out)))

    app_median, app_p90 = statistics.median(app_times), percentile(app_times, 0.9)
    ref_median, ref_p90 = statistics.median(ref_times), percentile(ref_times, 0.9)
    verdict = "meets" if app_p90 <= TARGET_SECONDS else "MISSES"
    print(f"runs: {args.runs} (fresh interpreters, after one warm-up)")
    print(
        f"tuner <demo folder>, first frame: median {app_median:.3f} s, p90 {app_p90:.3f} s "
        f"({verdict} the {TARGET_SECONDS} s target)"
    )
    print(f"import textual.app (reference): median {ref_median:.3f} s, p90 {ref_p90:.3f} s")
    print(f"ratio tuner / textual import (median): {app_median / ref_median:.2f}x")
    print(f"openai imported before the first frame: {'YES' if openai_seen else 'no'}")
    return 1 if openai_seen else 0


if __name__ == "__main__":
    sys.exit(main())
