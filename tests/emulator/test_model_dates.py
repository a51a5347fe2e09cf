"""`shutdown_date` in the models list: OpenAI's schedule under /v1, Azure's on Azure's paths,
each fine-tune with its base's date; the SDK's `Model` keeps the field."""

from __future__ import annotations

from openai import AzureOpenAI, OpenAI
from openai.types import Model

from tests.helpers import finish_raw
from tuner.emulator import Emulator

from .conftest import API_KEY, chat_rows

LAST_BASES = (
    "gpt-4o-2024-08-06",
    "gpt-4o-2024-11-20",
    "gpt-4o-mini-2024-07-18",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini-2025-04-14",
)


def _fine_tune(emu: Emulator, client: OpenAI, model: str) -> str:
    file_id = client.files.create(file=("t.jsonl", chat_rows(10)), purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model=model, training_file=file_id)
    assert finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(job.id)).status == "succeeded"
    name = client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert name is not None
    return name


def test_openai_lists_the_last_bases_and_their_fine_tunes_with_their_shutdown(
    emu: Emulator, client: OpenAI
) -> None:
    fine_tune = _fine_tune(emu, client, "gpt-4o-mini")
    listed = {m.id: m for m in client.models.list()}
    for base in LAST_BASES:
        assert listed[base].shutdown_date == "2027-01-14", base
    assert listed["gpt-4.1-nano-2025-04-14"].shutdown_date == "2026-10-23"
    assert listed["gpt-4o-mini"].shutdown_date is None  # the alias: nothing announced
    assert isinstance(listed[fine_tune], Model)
    assert listed[fine_tune].shutdown_date == "2027-01-14"
    assert client.models.retrieve(fine_tune).shutdown_date == "2027-01-14"
    assert listed[fine_tune].model_dump()["shutdown_date"] == "2027-01-14"


def test_azure_paths_give_azures_later_schedule(
    emu: Emulator, client: OpenAI, azure: AzureOpenAI
) -> None:
    fine_tune = _fine_tune(emu, client, "gpt-4.1-mini-2025-04-14")
    classic = {m.id: m.shutdown_date for m in azure.models.list()}
    assert classic["gpt-4o-2024-08-06"] == "2027-10-01"
    assert classic["gpt-4o-mini-2024-07-18"] == "2027-10-01"
    assert classic["gpt-4.1-2025-04-14"] == "2027-10-14"
    assert classic[fine_tune] == "2027-10-14"
    with OpenAI(base_url=emu.azure_v1_base_url, api_key=API_KEY) as v1:
        assert v1.models.retrieve(fine_tune).shutdown_date == "2027-10-14"
    # The same model on OpenAI's own paths keeps OpenAI's date.
    assert client.models.retrieve(fine_tune).shutdown_date == "2027-01-14"
