"""The first frame must not pay for `openai`: build the app headless in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import tuner

PROBE = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path

    from tuner.ui.app import make_app
    from tuner.ui.services import MemorySettingsStore, Services
    from tuner.ui.session import ActiveConnection


    async def main() -> None:
        app = make_app(
            Path(sys.argv[1]),
            services=Services(settings_store=MemorySettingsStore()),
            connection=ActiveConnection(label="probe"),
        )
        async with app.run_test() as pilot:
            await pilot.pause()
            assert type(app.screen).__name__ == "FilesScreen", app.screen
            print("openai" in sys.modules, "tiktoken" in sys.modules)


    asyncio.run(main())
    """
)


def test_first_frame_does_not_import_openai(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text('{"messages": []}\n')
    root = Path(tuner.__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
