"""The new-job form's cost line alone: a file analysed once per (file, encoding), repriced for
other epochs without a second analysis, and why there is no price when there is none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import host_app, wait_until, write_examples
from tuner.data.analysis.analyse import analyse_file
from tuner.data.catalog.choice import default_catalog
from tuner.ui.widgets.job_estimate import JobEstimate

MODEL = "gpt-4o-mini-2024-07-18"


async def test_a_file_is_analysed_once_and_repriced_for_other_epochs(tmp_path: Path) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)
    catalog = default_catalog("openai")
    analysed: list[Path] = []

    def analyse(path: Path, model: str) -> Any:
        analysed.append(path)
        return analyse_file(path, model, catalog=catalog)

    estimate = JobEstimate(analyse, lambda: catalog, id="estimate")
    async with host_app(estimate).run_test() as pilot:

        def shown() -> str:
            return str(estimate.render())

        estimate.price(None, MODEL, None, local=True)
        assert "type the training file's path" in shown()
        estimate.price(None, MODEL, None, local=False)
        assert "needs the local file" in shown()
        estimate.price(tmp_path / "nope.jsonl", MODEL, None, local=True)
        assert "no such file" in shown()
        estimate.price(train, MODEL, None, local=True)
        await wait_until(pilot, lambda: "$" in shown())
        assert "20 examples" in shown() and "epochs (auto)" in shown()
        estimate.price(train, MODEL, 2, local=True)
        assert "2 epochs ·" in shown() and "(auto)" not in shown()
        assert analysed == [train] and estimate.report is not None


async def test_an_analysis_that_fails_is_said_on_the_line(tmp_path: Path) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)

    def analyse(path: Path, model: str) -> Any:
        raise PermissionError(13, "Permission denied")

    catalog = default_catalog("openai")
    estimate = JobEstimate(analyse, lambda: catalog, id="estimate")
    async with host_app(estimate).run_test() as pilot:
        estimate.price(train, MODEL, None, local=True)
        await wait_until(pilot, lambda: "could not analyse" in str(estimate.render()))
        assert "permission denied" in str(estimate.render())
