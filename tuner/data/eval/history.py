"""Where eval runs live and how they are found again: `run.json` in each run folder, and a list
of every run's folder in tuner's data folder.

A run folder holds `results.jsonl`, `summary.json` and `report.md`; `run.json` beside them says
what was run (the file, the models, the graders and judge, the sampling parameters, when), so
`tuner eval diff` and the Eval screen's history can name a run by what it was, not by a folder
name. Runs go to `DATA/eval-runs/STAMP-NAME/` unless `--out` names a folder; either way the
folder is added to `DATA/eval-history.jsonl`, so the app lists runs kept anywhere. A folder
that was deleted or moved simply drops out of the list.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RUNS_DIR = "eval-runs"
HISTORY_FILE = "eval-history.jsonl"
RUN_FILE = "run.json"


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What a run was: `file` evaluated, `models` (the first is the baseline), `graders`, the
    `judge` and `embedder` (MODEL@PROFILE or None), the sampling `params`, `examples` counted,
    and when it `started` and `finished` (ISO 8601 UTC; finished None while running or cut)."""

    file: str
    models: tuple[str, ...]
    graders: tuple[str, ...]
    examples: int
    judge: str | None = None
    embedder: str | None = None
    reference: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    finished: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["models"], data["graders"] = list(self.models), list(self.graders)
        return data

    @classmethod
    def from_json(cls, data: Any) -> RunInfo:
        if not isinstance(data, dict):
            raise ValueError("run.json is not a JSON object")

        def text(name: str) -> str | None:
            value = data.get(name)
            return value if isinstance(value, str) else None

        def texts(name: str) -> tuple[str, ...]:
            value = data.get(name)
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

        params = data.get("params")
        examples = data.get("examples")
        return cls(
            file=text("file") or "",
            models=texts("models"),
            graders=texts("graders"),
            examples=examples if isinstance(examples, int) else 0,
            judge=text("judge"),
            embedder=text("embedder"),
            reference=text("reference"),
            params=params if isinstance(params, dict) else {},
            started=text("started") or "",
            finished=text("finished"),
        )


@dataclass(frozen=True, slots=True)
class PastRun:
    """A run folder found again, with what it was."""

    folder: Path
    info: RunInfo


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def default_run_folder(name: str, *, runs_dir: Path | None = None) -> Path:
    """`DATA/eval-runs/20261207-153012-NAME`: a new folder for a run named `name` (the eval
    file's stem, or the job's)."""
    if runs_dir is None:
        from tuner.config import data_dir

        runs_dir = data_dir() / RUNS_DIR
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-.")
    base = runs_dir / f"{stamp}-{safe[:60] or 'eval'}"
    folder, n = base, 2
    while folder.exists():
        folder = base.with_name(f"{base.name}-{n}")
        n += 1
    return folder


def history_path() -> Path:
    from tuner.config import data_dir

    return data_dir() / HISTORY_FILE


def write_run_info(folder: Path, info: RunInfo) -> None:
    """Write `run.json` (whole: a temporary file renamed over the old one)."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{RUN_FILE}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(info.to_json(), ensure_ascii=False, indent=2) + "\n")
    temporary.replace(folder / RUN_FILE)


def read_run_info(folder: Path) -> RunInfo | None:
    """The run's `run.json`, or None when it has none or it cannot be read."""
    try:
        return RunInfo.from_json(json.loads((folder / RUN_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def remember_run(folder: Path, path: Path | None = None) -> None:
    """Add `folder` to the list of runs (once); a list that cannot be written is skipped (the
    run itself is what matters)."""
    path = path or history_path()
    resolved = str(folder.resolve())
    if resolved in _listed(path):
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"folder": resolved}, ensure_ascii=False) + "\n")
    except OSError:
        return


def past_runs(path: Path | None = None) -> list[PastRun]:
    """Every remembered run whose folder still holds a `run.json`, newest first."""
    found = []
    for folder in _listed(path or history_path()):
        info = read_run_info(Path(folder))
        if info is not None:
            found.append(PastRun(Path(folder), info))
    found.sort(key=lambda run: run.info.started, reverse=True)
    return found


def _listed(path: Path) -> Sequence[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    folders: dict[str, None] = {}
    for line in lines:
        try:
            value = json.loads(line).get("folder")
        except (ValueError, AttributeError):
            continue
        if isinstance(value, str):
            folders.setdefault(value, None)
    return list(folders)
