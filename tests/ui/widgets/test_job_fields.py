"""The new-job form's fields alone: what they say as a `JobForm` and file choices, fitted to
the service's knobs, and a model the catalog lacks replaced by the one meant, said so."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select

from tests.helpers import host_app
from tuner.api.open import service_capabilities
from tuner.config import Connection
from tuner.data.catalog.choice import default_catalog
from tuner.ui.widgets.job_fields import JobFields

MODEL = "gpt-4o-mini-2024-07-18"


async def test_the_fields_as_a_form_and_file_choices(tmp_path: Path) -> None:
    fields = JobFields(default_catalog("openai"), MODEL, None, tmp_path)
    async with host_app(fields).run_test() as pilot:
        assert fields.file_choice("train") is None and fields.file_choice("valid") is None
        fields.query_one("#train-path", Input).value = "data/train.jsonl"
        fields.query_one("#suffix", Input).value = "bot"
        fields.query_one("#lr", Input).value = "2"
        await pilot.pause()
        assert fields.file_choice("train") == tmp_path / "data" / "train.jsonl"
        form = fields.form()
        assert form.model == MODEL and form.suffix == "bot"
        assert form.learning_rate_multiplier == "2" and form.learning_rate == ""
        assert fields.typed()["suffix"] == "bot"
        fields.set_file_options([("train.jsonl · file-abc", "file-abc")], "file-abc")
        await pilot.pause()
        assert fields.file_choice("train") == "file-abc"
        assert fields.query_one("#train-path").disabled


async def test_together_gets_its_learning_rate_and_adaptation(tmp_path: Path) -> None:
    together = Connection(
        kind="together", base_url="http://127.0.0.1:9/together/v1", profile_name="tg"
    )
    catalog = default_catalog("together")
    model = catalog.models[0].id
    fields = JobFields(catalog, model, service_capabilities(together), tmp_path)
    async with host_app(fields).run_test() as pilot:
        fields.query_one("#lr", Input).value = "0.00002"
        fields.query_one("#adaptation", Select).value = "full"
        await pilot.pause()
        form = fields.form()
        assert form.learning_rate == "0.00002" and form.learning_rate_multiplier == ""
        assert form.adaptation == "full"


async def test_a_model_the_catalog_lacks_picks_the_one_meant(tmp_path: Path) -> None:
    fields = JobFields(default_catalog("openai"), "gpt-4o-mni", None, tmp_path)
    async with host_app(fields).run_test():
        assert fields.query_one("#model", Select).value == MODEL
        assert fields.default_note is not None and f"did you mean {MODEL}?" in fields.default_note
