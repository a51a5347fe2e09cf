"""Job specs and the checks made before any service sees them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import open_test_service, open_together_service, train_model
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.spec import Hyperparameters, JobSpec, check_spec, check_suffix
from tuner.api.model_checks import check_model_known
from tuner.api.providers.openai import request_body
from tuner.data.catalog.choice import default_catalog
from tuner.emulator import Emulator

MODEL = "gpt-4o-mini-2024-07-18"


def test_spec_params_omit_nones() -> None:
    spec = JobSpec(MODEL, "file-1")
    assert request_body(spec) == {
        "model": MODEL,
        "training_file": "file-1",
        "method": {"type": "supervised"},
    }


def test_spec_params_full() -> None:
    spec = JobSpec(
        MODEL,
        "file-1",
        validation_file="file-2",
        suffix="my-model_v1.2",
        seed=7,
        metadata={"team": "a"},
        method="dpo",
        hyperparameters=Hyperparameters(n_epochs=3, batch_size="auto", beta=0.1),
    )
    assert request_body(spec) == {
        "model": MODEL,
        "training_file": "file-1",
        "validation_file": "file-2",
        "suffix": "my-model_v1.2",
        "seed": 7,
        "metadata": {"team": "a"},
        "method": {
            "type": "dpo",
            "dpo": {"hyperparameters": {"n_epochs": 3, "batch_size": "auto", "beta": 0.1}},
        },
    }


def test_beta_is_dpo_only() -> None:
    hyper = Hyperparameters(n_epochs=2, beta=0.5)
    assert hyper.as_params("supervised") == {"n_epochs": 2}


@pytest.mark.parametrize(
    ("suffix", "words"),
    [("", "1 to 64"), ("x" * 65, "1 to 64"), ("a:b", "':'"), ("two words", "' '")],
)
def test_bad_suffixes(suffix: str, words: str) -> None:
    with pytest.raises(ServiceError) as caught:
        check_suffix(suffix)
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert words in caught.value.message


def test_good_suffixes() -> None:
    check_suffix(None)
    check_suffix("x" * 64)
    check_suffix("Support-bot_2.0")


def test_epochs_out_of_range_is_refused_locally() -> None:
    spec = JobSpec(MODEL, "file-x", hyperparameters=Hyperparameters(n_epochs=51))
    with pytest.raises(ServiceError, match="n_epochs"):
        check_spec(spec)


# -- a model nobody knows ------------------------------------------------------------------------


async def test_a_model_of_the_table_passes_without_a_request(emulator: Emulator) -> None:
    service = open_test_service(emulator)
    fault = emulator.faults.add(_all_fail())
    try:
        for model in (MODEL, "gpt-4o-mini", "GPT-4O-MINI-2024-07-18"):
            await check_model_known(service, model, default_catalog())
    finally:
        await service.close()
    assert fault.times == 1000  # nothing was asked of the service


async def test_a_typo_is_refused_with_the_model_meant(emulator: Emulator) -> None:
    service = open_test_service(emulator)
    try:
        with pytest.raises(ServiceError) as refused:
            await check_model_known(service, "gpt-4.1-mnii", default_catalog())
    finally:
        await service.close()
    assert refused.value.kind is ErrorKind.MODEL_UNAVAILABLE
    assert refused.value.message.endswith("did you mean gpt-4.1-mini-2025-04-14?")


async def test_a_model_the_service_lists_passes(emulator: Emulator, train_file: Path) -> None:
    """A fine-tuned model (to fine-tune further) is in no table, but the service lists it; one
    with its last letters mistyped is not, and the listed one is what was meant."""
    tuned = (await train_model(emulator, train_file, "more")).fine_tuned_model
    assert tuned is not None
    service = open_test_service(emulator)
    try:
        await check_model_known(service, tuned, default_catalog())
        with pytest.raises(ServiceError) as refused:
            await check_model_known(service, tuned[:-2] + "zz", default_catalog())
    finally:
        await service.close()
    assert refused.value.message.endswith(f"did you mean {tuned}?")


async def test_a_model_added_to_the_catalog_must_be_one_the_service_has(emulator: Emulator):
    catalog = default_catalog().with_overrides([{"id": "gpt-4o-mni", "encoding": "o200k_base"}])
    service = open_test_service(emulator)
    try:
        with pytest.raises(ServiceError) as refused:
            await check_model_known(service, "gpt-4o-mni", catalog)
    finally:
        await service.close()
    assert refused.value.message.endswith("did you mean gpt-4o-mini-2024-07-18?")


async def test_together_asks_its_limits_and_lists(emulator: Emulator) -> None:
    service = open_together_service(emulator)
    catalog = default_catalog("together")
    try:
        await check_model_known(service, "Qwen/Qwen2.5-7B-Instruct", catalog)
        with pytest.raises(ServiceError) as refused:
            await check_model_known(service, "Qwen/Qwen2.5-7B-Instruckt", catalog)
    finally:
        await service.close()
    assert refused.value.message.endswith("did you mean Qwen/Qwen2.5-7B-Instruct?")


async def test_a_service_that_cannot_list_leaves_the_model_to_itself(emulator: Emulator):
    emulator.faults.add(_all_fail(r"/models$", status=404))
    service = open_test_service(emulator)
    try:
        await check_model_known(service, "gpt-4o-mni", default_catalog())  # no refusal
    finally:
        await service.close()


def _all_fail(pattern: str = r".", status: int = 500):
    from tuner.emulator import Fault

    return Fault(path_pattern=pattern, status=status, times=1000)
