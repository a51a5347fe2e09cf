"""The demo's evaluation set: written by scripts/make_demo_data.py, and a held-out part close to
(never the same as) its training part, so a fine-tune on it beats its base on the emulator."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path
from types import ModuleType

from tuner.demo import DEMO_DATA
from tuner.emulator.recall import best_match, read_examples

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_demo_data.py"
EVAL = DEMO_DATA / "support-eval"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_demo_data", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_shipped_files_are_what_the_script_writes() -> None:
    script = _script()
    rng = random.Random(script.SEED + 1)
    taken: set[str] = set()
    assert _rows(EVAL / "train.jsonl") == script.eval_examples(rng, 300, taken)
    assert _rows(EVAL / "holdout.jsonl") == script.eval_examples(rng, 60, taken)


def test_every_held_out_prompt_is_close_to_a_training_one_but_not_in_it() -> None:
    examples = read_examples(str(EVAL / "train.jsonl"))
    trained = {example.prompt for example in examples.items}
    holdout = _rows(EVAL / "holdout.jsonl")
    turkish = 0
    for row in holdout:
        messages = row["messages"]
        assert isinstance(messages, list)
        assert messages[1]["content"] not in trained
        assert best_match(examples, messages[:2]) is not None
        turkish += "Lale Market'in" in messages[0]["content"]
    assert 0 < turkish < len(holdout)
