"""The model picker's list: fine-tuned (newest first), their checkpoints, then base models."""

from __future__ import annotations

from tests.helpers import train_model
from tuner.api.chat.choices import chat_model_choices
from tuner.api.chat.models import is_chat_model, model_kind

MODEL = "gpt-4o-mini-2024-07-18"


async def test_choices_in_picker_order(service, service_env, train_file) -> None:
    job = await train_model(service_env, train_file, "pick")
    models = await chat_model_choices(service)
    kinds = [m.kind for m in models]
    assert models[0].id == job.fine_tuned_model
    assert "checkpoint" in kinds
    assert kinds == sorted(kinds, key=["fine_tuned", "checkpoint", "base"].index)
    assert all(
        m.id.startswith(job.fine_tuned_model.rsplit(":", 1)[0])
        for m in models
        if m.kind == "checkpoint"
    )
    assert any(m.id == MODEL for m in models)


def test_non_chat_models_are_left_out() -> None:
    assert is_chat_model("gpt-4o-mini")
    assert not is_chat_model("text-embedding-3-small")
    assert not is_chat_model("whisper-1")


def test_model_kinds_from_openai_style_ids() -> None:
    assert model_kind("ft:gpt-4o-mini-2024-07-18:org:s:abc") == "fine_tuned"
    assert model_kind("ft:gpt-4o-mini-2024-07-18:org:s:abc:ckpt-step-10") == "checkpoint"
    assert model_kind("gpt-4o-mini") == "base"
