"""The emulator's models agree with tuner's catalog on retirement, as of the simulated today."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import openai
import pytest
from openai import OpenAI
from openai.types.fine_tuning import FineTuningJob

from tuner.api.errors import REFUSAL_RULES, ErrorKind
from tuner.data.catalog.choice import default_catalog
from tuner.emulator import Emulator
from tuner.emulator.openai import catalog

from .conftest import API_KEY, chat_rows


def _at(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


ClientOn = Callable[[str], OpenAI]


@pytest.fixture
def client_on() -> Iterator[ClientOn]:
    """A client of a fresh emulator whose simulated today is the given ISO day."""
    emulators: list[Emulator] = []

    def make(day: str) -> OpenAI:
        emu = Emulator(speed=1000, seed=1, start_time=_at(day)).start()
        emulators.append(emu)
        return OpenAI(base_url=emu.base_url, api_key=API_KEY, max_retries=0)

    yield make
    for emu in emulators:
        emu.stop()


def _create(client: OpenAI, model: str) -> FineTuningJob:
    file_id = client.files.create(file=("t.jsonl", chat_rows(10)), purpose="fine-tune").id
    return client.fine_tuning.jobs.create(model=model, training_file=file_id)


def _kinds(error: openai.APIStatusError) -> list[ErrorKind]:
    """What tuner makes of a refusal: the kinds of the refusal rules it matches."""
    return [rule.kind for rule in REFUSAL_RULES if rule.matches(error.code, error.message)]


def test_shutdown_dates_come_from_tuners_catalog() -> None:
    dates = {info.id: info.shutdown for info in default_catalog() if info.shutdown}
    assert dates  # FACTS.md: 0613 retired, 0125 and 4.1-nano listed for 2026-10-23
    for model_id, day in dates.items():
        assert catalog.BY_ID[model_id].shutdown_date == day.isoformat(), model_id
    assert catalog.BY_ID["gpt-3.5-turbo-0613"].fine_tunable
    assert catalog.BY_ID["o4-mini"].shutdown_date == "2026-10-23"


@pytest.mark.parametrize(
    ("day", "model"),
    [
        ("2026-11-29", "gpt-4.1-nano-2025-04-14"),
        ("2026-10-23", "gpt-4.1-nano"),  # retired on the day itself
        ("2026-11-29", "gpt-3.5-turbo"),  # the alias's snapshot, 0125, is retired
        ("2026-11-29", "gpt-3.5-turbo-0125"),
        ("2025-01-01", "gpt-3.5-turbo-0613"),
        ("2026-11-29", "o4-mini"),
    ],
)
def test_a_retired_model_is_refused_as_retired(client_on: ClientOn, day: str, model: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _create(client_on(day), model)
    error = caught.value
    assert error.code == "model_retired"
    assert isinstance(error.body, dict) and error.body["param"] == "model"
    assert "retired" in error.message
    assert _kinds(error)[:1] == [ErrorKind.MODEL_RETIRED]


@pytest.mark.parametrize("model", ["gpt-4.1-nano", "gpt-3.5-turbo-0125", "gpt-3.5-turbo"])
def test_the_day_before_it_still_trains(client_on: ClientOn, model: str) -> None:
    job = _create(client_on("2026-10-22"), model)
    assert job.status == "validating_files"


def test_an_unknown_model_is_refused_as_unknown(client_on: ClientOn) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _create(client_on("2026-11-29"), "gpt-5-ultra")
    error = caught.value
    assert error.code == "model_not_found"
    assert "does not exist" in error.message
    # Explained as a retired or unknown model, never as "fine-tuning is closed".
    assert set(_kinds(error)) == {ErrorKind.MODEL_UNAVAILABLE}


def test_a_known_model_that_cannot_be_fine_tuned(client_on: ClientOn) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _create(client_on("2026-01-01"), "o4-mini")
    assert caught.value.code == "model_not_fine_tunable"
    assert _kinds(caught.value) == []


def test_retired_models_are_still_listed_with_their_date(client_on: ClientOn) -> None:
    client = client_on("2026-11-29")
    nano = client.models.retrieve("gpt-4.1-nano-2025-04-14")
    assert nano.shutdown_date == "2026-10-23"  # listed, dated; chat with it still answers
    assert "gpt-3.5-turbo-0613" not in {m.id for m in client.models.list()}
