"""Fine-tunes answer from their training data: held-out prompts close to a training example get
its reply; checkpoints do so less with fewer steps; a Together copy answers like its original."""

from __future__ import annotations

from pathlib import Path

from openai import OpenAI

from tests.helpers import finish_raw
from tuner.emulator import Emulator
from tuner.emulator.recall import (
    Examples,
    Recollection,
    TrainingMemory,
    best_match,
    examples_of_row,
    recalled_reply,
)
from tuner.emulator.similarity import wording_overlap

from . import eval_data
from .together_helpers import BASE, sdk

MODEL = "gpt-4o-mini-2024-07-18"


def _fine_tune(emu: Emulator, client: OpenAI, training: bytes = b"") -> str:
    """Train on the templated support data (3 epochs); the finished job's id."""
    content = training or eval_data.training_bytes()
    file_id = client.files.create(file=("train.jsonl", content), purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(
        model=MODEL,
        training_file=file_id,
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}},
    )
    assert finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(job.id)).status == "succeeded"
    return job.id


def _ask(client: OpenAI, model: str, messages: list[dict[str, str]]) -> str:
    reply = client.chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]
    return reply.choices[0].message.content or ""


def _mean_overlap(client: OpenAI, model: str) -> float:
    scores = [wording_overlap(_ask(client, model, p), ref) for p, ref in eval_data.held_out()]
    return sum(scores) / len(scores)


def test_a_fine_tune_answers_held_out_prompts_from_its_training_data(
    emu: Emulator, client: OpenAI
) -> None:
    job = client.fine_tuning.jobs.retrieve(_fine_tune(emu, client))
    assert job.fine_tuned_model is not None
    trained = eval_data.training_replies()
    held_out = eval_data.held_out()
    replies = [_ask(client, job.fine_tuned_model, prompt) for prompt, _ in held_out]
    assert all(reply in trained for reply in replies)
    base_replies = [_ask(client, MODEL, prompt) for prompt, _ in held_out]
    assert not any(reply in trained for reply in base_replies)
    # So on the held-out file the fine-tune is far closer to the references than its base.
    assert _mean_overlap(client, job.fine_tuned_model) > _mean_overlap(client, MODEL) + 25


def test_an_unrelated_prompt_gets_the_fine_tuned_style(emu: Emulator, client: OpenAI) -> None:
    job = client.fine_tuning.jobs.retrieve(_fine_tune(emu, client))
    assert job.fine_tuned_model is not None
    reply = _ask(client, job.fine_tuned_model, [{"role": "user", "content": "Explain epochs."}])
    assert reply.startswith("**Short answer:**")


def test_later_checkpoints_answer_closer_to_the_references(emu: Emulator, client: OpenAI) -> None:
    job_id = _fine_tune(emu, client)
    checkpoints = sorted(
        client.fine_tuning.jobs.checkpoints.list(job_id).data, key=lambda c: c.step_number
    )
    assert len(checkpoints) == 3
    first, second, last = (
        _mean_overlap(client, c.fine_tuned_model_checkpoint) for c in checkpoints
    )
    assert first < second < last
    final = client.fine_tuning.jobs.retrieve(job_id).fine_tuned_model
    assert final is not None and last == _mean_overlap(client, final)


def test_deleting_the_training_file_leaves_the_model_its_memory(
    emu: Emulator, client: OpenAI
) -> None:
    job = client.fine_tuning.jobs.retrieve(_fine_tune(emu, client))
    assert job.fine_tuned_model is not None
    client.files.delete(job.training_file)
    prompt, _ = eval_data.held_out()[0]
    assert _ask(client, job.fine_tuned_model, prompt) in eval_data.training_replies()


def test_a_together_copy_answers_like_its_original(
    emu: Emulator, client: OpenAI, tmp_path: Path
) -> None:
    original = client.fine_tuning.jobs.retrieve(_fine_tune(emu, client)).fine_tuned_model
    assert original is not None
    path = tmp_path / "train.jsonl"
    path.write_bytes(eval_data.training_bytes())
    with sdk(emu) as together:
        file_id = together.files.upload(path).id
        job = together.fine_tuning.create(training_file=file_id, model=BASE, n_epochs=1)
        copy = finish_raw(emu, lambda: together.fine_tuning.retrieve(job.id)).x_model_output_name
        assert copy
        for prompt, _ in eval_data.held_out():
            theirs = together.chat.completions.create(model=copy, messages=prompt)  # type: ignore[arg-type]
            assert theirs.choices[0].message.content == _ask(client, original, prompt)


# The pieces, without a server ---------------------------------------------------------


def test_rows_of_every_training_format_give_examples() -> None:
    chat = {
        "messages": [
            {"role": "system", "content": "S"},
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "first"},
            {"role": "user", "content": [{"type": "text", "text": "two"}]},
            {"role": "assistant", "content": "second", "weight": 0},
            {"role": "user", "content": "three"},
            {"role": "assistant", "content": "third"},
        ]
    }
    assert [(e.system, e.prompt, e.reply) for e in examples_of_row(chat)] == [
        ("S", "one", "first"),
        ("S", "three", "third"),
    ]
    dpo = {
        "input": {"messages": [{"role": "user", "content": "q"}]},
        "preferred_output": [{"role": "assistant", "content": "good"}],
        "non_preferred_output": [{"role": "assistant", "content": "bad"}],
    }
    assert [e.reply for e in examples_of_row(dpo)] == ["good"]
    assert examples_of_row({"text": "plain"}) == [] and examples_of_row([1]) == []


def test_a_different_system_message_weakens_a_match() -> None:
    examples = Examples.of(examples_of_row(eval_data.examples(eval_data.TRAIN_VALUES)[0]))
    # A paraphrase (closeness about 82 of 100) matches with the same system message...
    question = {"role": "user", "content": "Where is order LM-70415? Has not arrived."}
    assert best_match(examples, [{"role": "system", "content": eval_data.SYSTEM}, question])
    assert best_match(examples, [question])  # (no system message: nothing to differ)
    # ...but not with another one, which costs it 15 points.
    other = [{"role": "system", "content": "Du bist ein Wetterbericht."}, question]
    assert best_match(examples, other) is None
    assert best_match(examples, [{"role": "user", "content": "What is a LoRA?"}]) is None


def test_a_partly_trained_model_is_deterministic_and_partial() -> None:
    rows = eval_data.examples(eval_data.TRAIN_VALUES)
    examples = Examples.of(e for row in rows for e in examples_of_row(row))
    half = Recollection(examples, 0.5)
    replies = [recalled_reply(half, "ckpt", p) for p, _ in eval_data.held_out()]
    assert replies == [recalled_reply(half, "ckpt", p) for p, _ in eval_data.held_out()]
    trained = eval_data.training_replies()
    whole = sum(reply in trained for reply in replies)
    assert 0 < whole < len(replies)  # some whole, some cut short


def test_the_memory_reads_a_file_once_and_keeps_a_pinned_one(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(eval_data.training_bytes() + b"not json\n")
    memory = TrainingMemory(capacity=1)
    first = memory.examples("a", str(path))
    assert first is not None and len(first.items) == len(eval_data.TEMPLATES) * 3
    assert memory.examples("a", None) is first  # cached: no second read
    memory.examples("b", str(path))  # pushes "a" out of a cache of one
    assert memory.examples("a", None) is None
    memory.pin("a", str(path))
    path.unlink()
    memory.examples("c", str(tmp_path / "missing.jsonl"))
    assert memory.examples("a", None) is not None
