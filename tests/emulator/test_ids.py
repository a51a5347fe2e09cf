"""Ids differ between emulators (a demo's uploads are not guessable), unless a seed is given."""

from __future__ import annotations

from openai import OpenAI

from tests.helpers import finish_raw
from tuner.emulator import Emulator
from tuner.emulator.openai.ids import IdFactory

from .conftest import API_KEY, chat_rows


def _first_ids(**options: int) -> tuple[str, str, str]:
    """The first file id, job id and fine-tuned model name of a fresh emulator."""
    with (
        Emulator(speed=1000, **options) as emu,
        OpenAI(base_url=emu.base_url, api_key=API_KEY, max_retries=0) as client,
    ):
        file_id = client.files.create(file=("t.jsonl", chat_rows(10)), purpose="fine-tune").id
        job_id = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id).id
        assert (
            finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(job_id)).status == "succeeded"
        )
        model = client.fine_tuning.jobs.retrieve(job_id).fine_tuned_model
        assert model is not None
        return file_id, job_id, model


def test_unseeded_emulators_issue_different_ids() -> None:
    first, second = _first_ids(), _first_ids()  # no seed given
    assert all(a != b for a, b in zip(first, second, strict=True))


def test_a_seed_makes_every_id_reproducible() -> None:
    assert _first_ids(seed=5) == _first_ids(seed=5)
    assert _first_ids(seed=5)[0] != _first_ids(seed=6)[0]


def test_the_default_is_unseeded() -> None:
    assert Emulator().seed is None
    assert IdFactory(None).new("file-") != IdFactory(None).new("file-")
    assert IdFactory(3).new("file-") == IdFactory(3).new("file-")
