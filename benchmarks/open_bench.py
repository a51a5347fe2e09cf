"""Opening a large dataset in the dataset screen: first paint, jump to the end, memory.

Each figure comes from a fresh interpreter (`_common.measure`, which also reports the peak PSS
of the whole process tree) that builds the app with `make_app`, runs it headless at 80x24 with
`run_test`, and times:

- first paint: from the app starting (and from the process starting) until row 1 of the list
  is drawn on the screen;
- end: from pressing `end` until the last example's row is drawn;
- quit: from pressing ctrl+q while the analysis's worker processes are mid-file until the
  whole process (workers included) has exited.

References measured in the same run: the same screen on a one-example file (2 KB), and a plain
full read of the big file in Python counting newlines (what loading the file costs at least).

Targets: first paint under 1 s, the end at once, memory well under the file size, and quitting
within half a second whatever is being read. The quit's reference is the same app quitting on
the small file with nothing left to read.

    python benchmarks/open_bench.py [--examples 200000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, make_chat_file, measure

# The app on one file; prints the timings as JSON. argv: path, "analysis" | "no-analysis".
OPEN = """
import time
process_start = time.perf_counter()
import asyncio, json, sys, threading
from pathlib import Path
from tuner.ui.app import make_app
from tuner.ui.screens.dataset import DatasetScreen
from tuner.ui.services import MemorySettingsStore, Services
from tuner.ui.session import ActiveConnection

path = Path(sys.argv[1])
kwargs = {}
if sys.argv[2] == "no-analysis":
    def idle(path, model, *, cancel, **_):
        from tuner.data.analysis.report import AnalysisCancelled
        cancel.wait()
        raise AnalysisCancelled(str(path))
    kwargs["analyse"] = idle


def painted(app, line):
    row = f"{line} "
    return any(s.text.lstrip().startswith(row) for s in app.screen._compositor.render_strips())


async def main():
    services = Services(settings_store=MemorySettingsStore(), **kwargs)
    app = make_app(path.parent, open_file=path, services=services,
                   connection=ActiveConnection(label="bench"))
    app_start = time.perf_counter()
    async with app.run_test(size=(80, 24)) as pilot:
        while not (isinstance(app.screen, DatasetScreen) and app.screen.examples.line_count
                   and painted(app, 1)):
            await pilot.pause(0.005)
        first = time.perf_counter()
        lines_at_first_paint = app.screen.examples.line_count
        await pilot.press("end")
        end_pressed = time.perf_counter()
        while True:
            examples = app.screen.examples
            index = app.screen.index
            if index.scanned and examples.line == len(index) and painted(app, len(index)):
                break
            await pilot.pause(0.005)
        end = time.perf_counter()
        result = {
            "first_paint_from_app": first - app_start,
            "first_paint_from_process": first - process_start,
            "lines_at_first_paint": lines_at_first_paint,
            "end": end - end_pressed,
            "lines": len(app.screen.index),
        }
    print(json.dumps(result))

asyncio.run(main())
"""

# Opens the file, presses ctrl+q once the analysis has reported progress (its worker processes
# are then mid-file), and prints the wall-clock time of the key press. argv: path.
QUIT = """
import asyncio, sys, time
from pathlib import Path
from tuner.ui.app import make_app
from tuner.ui.widgets.file_analysis import FileAnalysis
from tuner.ui.services import MemorySettingsStore, Services
from tuner.ui.session import ActiveConnection

path = Path(sys.argv[1])

async def main():
    services = Services(settings_store=MemorySettingsStore())
    app = make_app(path.parent, open_file=path, services=services,
                   connection=ActiveConnection(label="bench"))
    progressed = []

    def hook(message):
        if isinstance(message, FileAnalysis.Progressed):
            progressed.append(message)

    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        while not progressed:
            await pilot.pause(0.005)
        print(time.time(), flush=True)
        await pilot.press("ctrl+q")

asyncio.run(main())
"""

READ_ALL = """
import sys, time
start = time.perf_counter()
lines = 0
with open(sys.argv[1], "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        lines += chunk.count(b"\\n")
print(lines, time.perf_counter() - start)
"""


def quit_seconds(path: Path) -> float:
    """From ctrl+q (mid-analysis on a big file) to the exit of the whole process tree."""
    proc = subprocess.Popen([sys.executable, "-c", QUIT, str(path)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    pressed = float(proc.stdout.readline())
    proc.wait()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed with exit code {proc.returncode}")
    return time.time() - pressed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200_000)
    args = parser.parse_args()

    path = make_chat_file(DATA_DIR / f"chat-{args.examples}.jsonl", args.examples)
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size_mb:.0f} MB, {args.examples:,} examples")

    with tempfile.TemporaryDirectory() as tmp:
        small = make_chat_file(Path(tmp) / "small.jsonl", 1)
        print(f"reference file: {small.stat().st_size} bytes")
        runs = {
            "small file": measure(OPEN, str(small), "analysis"),
            "big file, list only": measure(OPEN, str(path), "no-analysis"),
            "big file, with analysis": measure(OPEN, str(path), "analysis"),
        }
        quit_small = min(quit_seconds(small) for _ in range(3))
        quit_big = [quit_seconds(path) for _ in range(3)]
    read_all = measure(READ_ALL, str(path))
    read_lines, read_seconds = read_all.stdout.split()

    print()
    print(f"{'run':<26}{'first paint':>12}{'(process)':>11}{'end':>9}{'peak PSS':>10}")
    figures = {}
    for name, run in runs.items():
        data = json.loads(run.stdout)
        figures[name] = data
        print(
            f"{name:<26}{data['first_paint_from_app']:>11.3f}s{data['first_paint_from_process']:>10.3f}s"
            f"{data['end']:>8.3f}s{run.peak_pss_mb:>8.0f} MB"
        )
    print(
        f"{'full read (reference)':<26}{'':>12}{'':>11}{float(read_seconds):>8.3f}s"
        f"{read_all.peak_pss_mb:>8.0f} MB   ({int(read_lines):,} lines)"
    )

    big = figures["big file, with analysis"]
    small_run = figures["small file"]
    print()
    print(f"rows shown after the first batch: {big['lines_at_first_paint']:,} lines indexed")
    print(
        f"first paint, big vs small file: {big['first_paint_from_app']:.3f}s vs "
        f"{small_run['first_paint_from_app']:.3f}s "
        f"(x{big['first_paint_from_app'] / small_run['first_paint_from_app']:.2f})"
    )
    print(
        f"end, vs a plain full read of the file: {big['end']:.3f}s vs {float(read_seconds):.3f}s "
        f"(x{big['end'] / float(read_seconds):.2f})"
    )
    print(
        f"quit mid-analysis: {', '.join(f'{q:.2f}s' for q in quit_big)} from ctrl+q to the "
        f"process exit; nothing left to read (small file): {quit_small:.2f}s "
        f"(x{max(quit_big) / quit_small:.2f})"
    )
    list_only = runs["big file, list only"].peak_pss_mb
    print(
        f"memory, list only: {list_only:.0f} MB = {list_only / size_mb:.2f} x the file size; "
        f"small file: {runs['small file'].peak_pss_mb:.0f} MB"
    )
    print(
        "targets: first paint < 1 s "
        + ("OK" if big["first_paint_from_app"] < 1 else "MISSED")
        + "; memory well under the file size "
        + ("OK" if list_only < size_mb / 2 else "MISSED")
        + "; quit < 0.5 s "
        + ("OK" if max(quit_big) < 0.5 else "MISSED")
    )


if __name__ == "__main__":
    main()
