"""Screens that wait on something slow: how soon their frame is drawn, and when it is filled in.

Three screens used to hold the whole app for a second or more: the first new-job form (`J` on
the dataset screen: the service's SDK was imported on the event loop), the chat's model picker
(`ctrl+o`: the same import, then the listing) and a finished job (`Loading job…` while its
history was drawn one event at a time). Each now draws its frame at once and fills it in.

Each figure comes from a fresh interpreter (`_common.measure`) running the demo (its emulator
and data, as `tuner --demo` does) headless at 80x24, so the first use of the SDK is in it:

- frame: from the key (or the call) until the screen's frame is on the screen;
- filled: until what it waits for is there (the form's estimate and files, the picker's models,
  the job's whole history, checkpoints and result-file chart).

Reference measured in the same run: the help screen (`?`), which waits on nothing.

    python benchmarks/screens_bench.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import measure

# One screen of the demo app; prints {"frame": s, "filled": s} as JSON. argv: the screen.
SCREEN = """
import asyncio, json, sys, time
from tuner.app_entry import demo_session, demo_settings_store
from tuner.ui.app import make_app
from tuner.ui.services import Services
from tuner.ui.session import ActiveConnection

which = sys.argv[1]


def drawn(app, text):
    return any(text in strip.text for strip in app.screen._compositor.render_strips())


async def until(pilot, condition):
    while not condition():
        await pilot.pause(0.002)
    return time.perf_counter()


async def main():
    with demo_session() as (folder, emu):
        store = demo_settings_store(emu)
        services = Services(settings_store=store, demo=True)
        active = ActiveConnection("demo", store.resolve(store.load(), None), demo=True)
        train = folder / "support-bot" / "train.jsonl"
        app = make_app(folder, open_file=train, services=services, connection=active)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: type(app.screen).__name__ == "DatasetScreen"
                        and app.screen.report is not None)
            while not emu.state.jobs:  # the demo's finished job (made beside the start)
                await pilot.pause(0.01)
            await pilot.pause(0.5)
            start = time.perf_counter()
            if which == "help":
                await pilot.press("question_mark")
                frame = await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen"
                                    and drawn(app, "Keys"))
                filled = frame
            elif which == "new-job":
                await pilot.press("J")
                frame = await until(pilot, lambda: type(app.screen).__name__ == "NewJobScreen"
                                    and drawn(app, "Base model"))
                form = app.screen
                filled = await until(pilot, lambda: app.session.current is not None
                                     and "examples" in str(form.query_one("#estimate").render())
                                     and not [w for w in form.workers if w.group == "files"
                                              and not w.is_finished])
            elif which == "chat-models":
                app.open_chat()
                await until(pilot, lambda: type(app.screen).__name__ == "ChatScreen")
                await pilot.pause(0.2)
                start = time.perf_counter()
                await pilot.press("ctrl+o")
                frame = await until(pilot, lambda: type(app.screen).__name__ == "PickModelModal"
                                    and drawn(app, "Chat with"))
                modal = app.screen
                filled = await until(pilot, lambda: bool(modal.models))
            else:  # a finished job
                job_id = next(iter(emu.state.jobs))
                count = len(emu.server_events(job_id))
                app.open_job(job_id)
                frame = await until(pilot, lambda: type(app.screen).__name__ == "JobScreen"
                                    and drawn(app, "Log"))
                screen = app.screen
                filled = await until(pilot, lambda: len(screen.log_view.events) == count
                                     and bool(screen.checkpoints)
                                     and screen.chart.series.source == "result file")
            print(json.dumps({"frame": frame - start, "filled": filled - start}))

asyncio.run(main())
"""

SCREENS = {
    "help (reference)": "help",
    "first new-job form (J)": "new-job",
    "chat model picker (ctrl+o)": "chat-models",
    "finished job": "job",
}


def main() -> None:
    print(f"{'screen':<30}{'frame':>9}{'filled':>9}{'frame / reference':>19}")
    figures = {}
    for name, which in SCREENS.items():
        figures[name] = json.loads(measure(SCREEN, which).stdout)
    reference = figures["help (reference)"]["frame"]
    for name, data in figures.items():
        ratio = data["frame"] / reference if reference else float("nan")
        print(f"{name:<30}{data['frame']:>8.3f}s{data['filled']:>8.3f}s{ratio:>18.1f}x")
    print()
    slow = [name for name, data in figures.items() if data["frame"] > 1.0]
    print("target: every frame within a second " + ("OK" if not slow else f"MISSED: {slow}"))


if __name__ == "__main__":
    main()
