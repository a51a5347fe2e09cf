"""PromptReplay: one growing conversation, driven by run / step / pause / skip / stop."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tuner.api.chat.replay import (
    LineDelta,
    LineFailed,
    LineFinished,
    LineRetrying,
    LineSkipped,
    LineStarted,
    LineStatus,
    LineStopped,
    PromptFileError,
    PromptReplay,
    ReplayEvent,
    ReplayState,
    StateChanged,
    TranscriptUnsaved,
    read_prompt_file,
)
from tuner.api.chat.request import ChatDelta, ChatDone, ChatRequest
from tuner.api.chat.transcripts import TranscriptWriter, load_transcript
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.retry import RetryPolicy
from tuner.emulator import Emulator, Fault

MODEL = "gpt-4o-mini-2024-07-18"
FAST_RETRY = RetryPolicy(attempts=3, base=0.001, cap=0.005)


# ------------------------------------------------------------------ prompt files


def test_prompt_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "metin.txt"
    path.write_bytes("\ufeffFirst question?\r\n\r\n   \n  Second  \nÜçüncü\n".encode())
    lines = read_prompt_file(path)
    assert [(line.number, line.text) for line in lines] == [
        (1, "First question?"),
        (4, "Second"),
        (5, "Üçüncü"),
    ]


def test_undecodable_prompt_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok\nalso ok\nbad \xff byte\n")
    with pytest.raises(PromptFileError) as caught:
        read_prompt_file(path)
    assert caught.value.line == 3
    assert f"{path}:3" in str(caught.value) and "0xff" in str(caught.value)
    with pytest.raises(PromptFileError, match="cannot read"):
        read_prompt_file(tmp_path / "missing.txt")


# ------------------------------------------------------------------ a scripted model


class Model:
    """Replies 'echo: <last user message>' in two deltas; can block, or fail on cue."""

    def __init__(self) -> None:
        self.requests: list[ChatRequest] = []
        self.gate: asyncio.Event | None = None
        self.in_middle = asyncio.Event()
        self.failures: list[ServiceError] = []

    async def __call__(self, request: ChatRequest) -> AsyncIterator[ChatDelta | ChatDone]:
        self.requests.append(request)
        if self.failures:
            raise self.failures.pop(0)
        text = f"echo: {request.messages[-1]['content']}"
        yield ChatDelta(text[:4])
        if self.gate is not None:
            self.in_middle.set()
            await self.gate.wait()
        yield ChatDelta(text[4:])
        yield ChatDone(text, "stop", 3, 2, MODEL)


def replay(lines: list[str], model: Model, **kwargs) -> tuple[PromptReplay, list[ReplayEvent]]:
    events: list[ReplayEvent] = []
    player = PromptReplay(
        None,
        lines,
        ChatRequest(MODEL, system_prompt="Be brief."),
        on_event=events.append,
        retry=FAST_RETRY,
        streamer=model,
        **kwargs,
    )
    return player, events


async def test_run_builds_one_growing_conversation() -> None:
    model = Model()
    player, events = replay(["a", "b", "c"], model)
    assert await player.run() is ReplayState.DONE
    assert player.messages == [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "echo: a"},
        {"role": "user", "content": "b"},
        {"role": "assistant", "content": "echo: b"},
        {"role": "user", "content": "c"},
        {"role": "assistant", "content": "echo: c"},
    ]
    assert [len(r.messages) for r in model.requests] == [1, 3, 5]
    assert all(r.system_prompt == "Be brief." for r in model.requests)
    assert player.statuses == [LineStatus.DONE] * 3
    started = [e for e in events if isinstance(e, LineStarted)]
    assert [(e.index, e.total) for e in started] == [(0, 3), (1, 3), (2, 3)]
    assert [e.text for e in events if isinstance(e, LineDelta)][:2] == ["echo", ": a"]
    assert [e.state for e in events if isinstance(e, StateChanged)] == [
        ReplayState.RUNNING,
        ReplayState.DONE,
    ]
    with pytest.raises(RuntimeError):
        await player.run()


async def test_step_then_run() -> None:
    player, _ = replay(["a", "b", "c"], Model())
    assert await player.step() is LineStatus.DONE
    assert player.state is ReplayState.PAUSED and player.position == 1
    assert await player.run() is ReplayState.DONE
    assert await player.step() is None


async def test_pause_waits_for_the_line_in_flight() -> None:
    model = Model()
    model.gate = asyncio.Event()
    player, _ = replay(["a", "b", "c"], model)
    task = asyncio.create_task(player.run())
    await model.in_middle.wait()
    player.pause()
    model.gate.set()
    assert await task is ReplayState.PAUSED
    assert player.position == 1 and player.statuses[0] is LineStatus.DONE
    assert player.messages[-1] == {"role": "assistant", "content": "echo: a"}


async def test_skip_in_flight_drops_the_exchange_and_moves_on() -> None:
    model = Model()
    model.gate = asyncio.Event()
    player, events = replay(["a", "b"], model)
    task = asyncio.create_task(player.run())
    await model.in_middle.wait()
    model.gate = None  # the next line streams straight through
    player.skip()
    assert await task is ReplayState.DONE
    assert player.statuses == [LineStatus.SKIPPED, LineStatus.DONE]
    assert player.messages == [
        {"role": "user", "content": "b"},
        {"role": "assistant", "content": "echo: b"},
    ]
    assert LineSkipped(0) in events


async def test_skip_when_idle_skips_the_next_line() -> None:
    player, _ = replay(["a", "b"], Model())
    player.skip()
    assert player.statuses[0] is LineStatus.SKIPPED and player.position == 1
    await player.run()
    assert player.statuses == [LineStatus.SKIPPED, LineStatus.DONE]


async def test_stop_keeps_the_partial_reply_and_records_it() -> None:
    model = Model()
    model.gate = asyncio.Event()
    writer = TranscriptWriter.start(MODEL, "Be brief.")
    player, events = replay(["a", "b"], model, transcript=writer)
    task = asyncio.create_task(player.run())
    await model.in_middle.wait()
    player.stop()
    assert await task is ReplayState.STOPPED
    assert player.statuses == [LineStatus.STOPPED, LineStatus.PENDING]
    assert player.messages[-1] == {"role": "assistant", "content": "echo"}
    assert LineStopped(0, "echo") in events
    turns = load_transcript(writer.path).turns
    assert [(t.role, t.content, t.partial) for t in turns] == [
        ("user", "a", False),
        ("assistant", "echo", True),
    ]
    with pytest.raises(RuntimeError):
        await player.step()


async def test_retryable_errors_are_retried_honouring_retry_after() -> None:
    model = Model()
    model.failures = [
        ServiceError(ErrorKind.RATE_LIMITED, "slow down", status=429, retry_after=0.02),
        ServiceError(ErrorKind.SERVER, "oops", status=500),
    ]
    player, events = replay(["a"], model)
    await player.run()
    retries = [e for e in events if isinstance(e, LineRetrying)]
    assert [r.attempt for r in retries] == [1, 2]
    assert retries[0].delay >= 0.02
    assert player.statuses == [LineStatus.DONE]


async def test_a_line_that_keeps_failing_is_skipped_keeping_the_conversation() -> None:
    model = Model()
    player, events = replay(["a", "b", "c"], model)
    assert await player.step() is LineStatus.DONE
    model.failures = [ServiceError(ErrorKind.SERVER, "down", status=500)] * 3
    await player.run()
    assert player.statuses == [LineStatus.DONE, LineStatus.FAILED, LineStatus.DONE]
    assert [m["content"] for m in player.messages] == ["a", "echo: a", "c", "echo: c"]
    failed = [e for e in events if isinstance(e, LineFailed)]
    assert [f.index for f in failed] == [1] and failed[0].error.kind is ErrorKind.SERVER


async def test_non_retryable_errors_fail_at_once() -> None:
    model = Model()
    model.failures = [ServiceError(ErrorKind.NOT_FOUND, "no such model", status=404)]
    player, events = replay(["a"], model)
    await player.run()
    assert player.statuses == [LineStatus.FAILED]
    assert not [e for e in events if isinstance(e, LineRetrying)]


async def test_cancelling_the_owner_propagates() -> None:
    model = Model()
    model.gate = asyncio.Event()
    player, _ = replay(["a"], model)
    task = asyncio.create_task(player.run())
    await model.in_middle.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert player.messages == [] and not player.busy


async def test_replay_against_the_emulator_with_rate_limits(
    service, service_env: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "prompts.txt"
    path.write_text("Hello\n\nHow are you?\nBye\n", encoding="utf-8")
    service_env.faults.add(
        Fault(path_pattern=r"/chat/completions", status=429, retry_after=0.01, times=2)
    )
    writer = TranscriptWriter.start(MODEL, "Be brief.")
    events: list[ReplayEvent] = []
    player = PromptReplay(
        service,
        read_prompt_file(path),
        ChatRequest(MODEL, system_prompt="Be brief.", temperature=0.2),
        on_event=events.append,
        retry=FAST_RETRY,
        transcript=writer,
    )
    assert await player.run() is ReplayState.DONE
    assert player.statuses == [LineStatus.DONE] * 3
    assert len([e for e in events if isinstance(e, LineRetrying)]) == 2
    finished = [e for e in events if isinstance(e, LineFinished)]
    assert all(e.reply.completion_tokens for e in finished)
    turns = load_transcript(writer.path).turns
    assert [t.content for t in turns if t.role == "user"] == ["Hello", "How are you?", "Bye"]


class FullDiskWriter:
    """A transcript whose disk fills up after `room` records (ENOSPC, simulated: tests run as
    root, which ignores permission bits)."""

    def __init__(self, folder: Path, room: int) -> None:
        self.folder = folder
        self.room = room
        self.records: list[tuple[str, str]] = []

    def append(self, role: str, content: str, **fields: object) -> None:
        if len(self.records) >= self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.records.append((role, content))


async def test_a_transcript_that_cannot_be_written_loses_no_line(tmp_path: Path) -> None:
    writer = FullDiskWriter(tmp_path / "transcripts", room=2)
    player, events = replay(["a", "b", "c"], Model(), transcript=writer)
    assert await player.run() is ReplayState.DONE
    assert player.statuses == [LineStatus.DONE] * 3
    assert [m["content"] for m in player.messages][-2:] == ["c", "echo: c"]
    assert writer.records == [("user", "a"), ("assistant", "echo: a")]
    unsaved = [e for e in events if isinstance(e, TranscriptUnsaved)]
    assert len(unsaved) == 1  # said once, not for every later turn
    assert unsaved[0].folder == tmp_path / "transcripts"
    assert "no space left on device" in unsaved[0].reason
