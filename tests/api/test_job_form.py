"""The new-job form's fields become a JobSpec; bad fields are named in the message."""

from __future__ import annotations

import pytest

from tuner.api.errors import ServiceError
from tuner.api.jobs.form import FormError, JobForm, parse_float, parse_int
from tuner.api.jobs.spec import Hyperparameters
from tuner.api.providers.openai import request_body


def test_empty_fields_are_left_to_the_service() -> None:
    spec = JobForm("gpt-4o-mini-2024-07-18").to_spec("file-1")
    assert spec.hyperparameters == Hyperparameters()
    assert request_body(spec) == {
        "model": "gpt-4o-mini-2024-07-18",
        "training_file": "file-1",
        "method": {"type": "supervised"},
    }


def test_set_fields_are_sent() -> None:
    form = JobForm(
        "m", method="dpo", suffix=" bot ", epochs="3", batch_size="auto", beta="0.2", seed="7"
    )
    spec = form.to_spec("file-1", "file-2")
    assert spec.suffix == "bot" and spec.seed == 7 and spec.validation_file == "file-2"
    assert request_body(spec)["method"] == {
        "type": "dpo",
        "dpo": {"hyperparameters": {"n_epochs": 3, "beta": 0.2}},
    }


def test_beta_is_ignored_for_supervised() -> None:
    assert JobForm("m", beta="0.3").hyperparameters().beta is None


@pytest.mark.parametrize(
    ("form", "words"),
    [
        (JobForm("m", epochs="three"), "epochs must be a whole number"),
        (JobForm("m", epochs="51"), "between 1 and 50"),
        (JobForm("m", batch_size="0"), "batch size must be between 1 and 256"),
        (JobForm("m", learning_rate_multiplier="-1"), "must be above 0"),
        (JobForm("m", seed="x"), "seed must be a whole number"),
    ],
)
def test_bad_fields_are_named(form: JobForm, words: str) -> None:
    with pytest.raises(FormError, match=words):
        form.check()


def test_bad_suffix_is_refused_locally() -> None:
    with pytest.raises(ServiceError, match="suffix may hold only"):
        JobForm("m", suffix="no spaces!").check()


def test_parsers_accept_auto() -> None:
    assert parse_int("AUTO", "epochs", 1, 50) is None
    assert parse_float(" ", "lr") is None
    assert parse_float("1.5", "lr") == 1.5
