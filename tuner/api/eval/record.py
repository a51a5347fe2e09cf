"""Record a model's answers to an eval file as a golden file that outlives the model.

OpenAI's fine-tunes of gpt-4o and gpt-4.1 stop answering on 2027-01-14. After that, the only
evidence of what such a model did is what was recorded before: `tuner eval record` sends each
example's prompt to the model and writes a chat JSONL whose last assistant turn is the model's
reply, with `GOLDEN.meta.json` beside it (model, service, date, sampling parameters, tokens and
cost). `tuner eval --reference GOLDEN.jsonl` then grades a new model against the old one's
answers, and because the golden file is valid training data, it can train the next model too.

Replies go through the same reply cache as an evaluation, so an interrupted recording costs
nothing to finish, and recording the models an evaluation already asked is free. Both files are
written whole or not at all. A prompt that keeps failing is left out and named; the rest is
written (a partial golden file is worth more than none when the model is about to go).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from tuner.api.errors import ServiceError
from tuner.api.eval.asking import Answer, ModelUnusable, ask
from tuner.api.eval.pacing import AdaptiveLimit
from tuner.api.eval.run import DEFAULT_CONCURRENCY, EvalAborted
from tuner.data.chat_cost import price_turn
from tuner.data.jsonl.atomic_file import output_target, write_atomically

if TYPE_CHECKING:
    from tuner.api.eval.plan import EvalPlan
    from tuner.api.eval.reply_cache import ReplyCache
    from tuner.api.eval.targets import EvalTarget
    from tuner.data.eval.examples import EvalExample

META_SUFFIX = ".meta.json"


def meta_path(golden: Path) -> Path:
    """`GOLDEN.meta.json` beside `GOLDEN.jsonl`."""
    return golden.with_name(golden.stem + META_SUFFIX)


@dataclass
class Recording:
    """What a recording wrote and what it could not: `failed` holds (line, why)."""

    golden: Path
    meta: Path
    written: int = 0
    cached: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0
    dollars: float | None = 0.0


def golden_line(example: EvalExample, reply: str) -> bytes:
    """The example's prompt with `reply` as its last assistant turn, as one JSONL line."""
    messages = [dict(message) for message in example.prompt]
    messages.append({"role": "assistant", "content": reply})
    line: dict[str, Any] = {"messages": messages}
    if example.tools:
        line["tools"] = [dict(tool) for tool in example.tools]
    return orjson.dumps(line) + b"\n"


async def record_golden(
    plan: EvalPlan,
    golden: Path,
    *,
    source: Path,
    cache: ReplyCache | None,
    force: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_progress: Callable[[int, int], None] | None = None,
) -> Recording:
    """Ask `plan.targets[0]` every example's prompt and write the golden file and its meta.

    Raises `FileExistsError` when `golden` exists and not `force` (before asking anything),
    `OutputError` when it cannot be written, `EvalAborted` when the model cannot be reached."""
    target = plan.targets[0]
    output_target(golden, force=force)  # refuse before any request is paid for
    output_target(meta_path(golden), force=True)
    limit = AdaptiveLimit(concurrency)
    answers: dict[int, Answer] = {}
    recording = Recording(golden, meta_path(golden))
    pending = iter(enumerate(plan.examples))
    done = 0

    async def worker() -> None:
        nonlocal done
        for index, example in pending:
            try:
                answers[index] = await ask(
                    target.service,
                    plan.request(target, example),
                    service_id=target.service_id,
                    limit=limit,
                    cache=cache,
                )
            except ServiceError as error:
                recording.failed.append((example.line, error.message))
            done += 1
            if on_progress is not None:
                on_progress(done, len(plan.examples))

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(concurrency, len(plan.examples))):
                group.create_task(worker())
    except* ModelUnusable as failures:
        first = failures.exceptions[0]
        assert isinstance(first, ModelUnusable)
        raise EvalAborted(target.label, first.error) from None
    recording.failed.sort()
    _tally(recording, target, answers.values())
    lines = [
        golden_line(example, answers[index].text)
        for index, example in enumerate(plan.examples)
        if index in answers
    ]
    recording.written = len(lines)

    def write_golden(out: BinaryIO) -> bool:
        for line in lines:
            out.write(line)
        return True

    write_atomically(output_target(golden, force=force), write_golden)
    meta = _meta(plan, target, recording, source)
    text = json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    write_atomically(output_target(recording.meta, force=True), lambda out: bool(out.write(text)))
    return recording


def _tally(recording: Recording, target: EvalTarget, answers: Any) -> None:
    for answer in answers:
        recording.cached += answer.cached
        recording.tokens_in += answer.prompt_tokens or 0
        recording.tokens_out += answer.completion_tokens or 0
        cost = price_turn(
            target.catalog, target.model, answer.prompt_tokens, answer.completion_tokens
        ).dollars
        if cost is None:
            recording.dollars = None
        elif recording.dollars is not None:
            recording.dollars += cost


def _meta(plan: EvalPlan, target: EvalTarget, recording: Recording, source: Path) -> dict[str, Any]:
    return {
        "model": target.model,
        "profile": target.profile,
        "service": target.service_name,
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "source": str(source),
        "source_sha256": _sha256(source),
        "params": plan.params(),
        "examples": len(plan.examples),
        "written": recording.written,
        "missing_lines": [line for line, _ in recording.failed],
        "tokens_in": recording.tokens_in,
        "tokens_out": recording.tokens_out,
        "dollars": round(recording.dollars, 6) if recording.dollars is not None else None,
    }


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()
