"""Job specs and the checks made before any service sees them."""

from __future__ import annotations

import pytest

from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs import Hyperparameters, JobSpec, check_spec, check_suffix
from tuner.api.openai_service import request_body

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
