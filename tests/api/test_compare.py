"""ReplayGroup: every model gets line k before any gets line k+1; one set of controls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from tuner.api.chat.compare import ProfileServices, ReplayGroup
from tuner.api.chat.replay import LineStatus, PromptReplay, ReplayState
from tuner.api.chat.request import ChatDelta, ChatDone, ChatRequest
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.retry import RetryPolicy

FAST = RetryPolicy(attempts=2, base=0.001, cap=0.002)


class Model:
    """Replies '<name>: <prompt>'; records the order of requests across models in `log`."""

    def __init__(self, name: str, log: list[str], gate: asyncio.Event | None = None) -> None:
        self.name = name
        self.log = log
        self.gate = gate
        self.failures: list[ServiceError] = []
        self.started = asyncio.Event()

    async def __call__(self, request: ChatRequest) -> AsyncIterator[ChatDelta | ChatDone]:
        prompt = request.messages[-1]["content"]
        self.log.append(f"{self.name}:{prompt}")
        if self.failures:
            raise self.failures.pop(0)
        yield ChatDelta(f"{self.name}: ")
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        yield ChatDelta(prompt)
        yield ChatDone(f"{self.name}: {prompt}", "stop", 3, 2, self.name)


def pair(
    lines: list[str],
    log: list[str],
    *,
    on_state: Callable[[ReplayState], None] | None = None,
    on_line: Callable[[int], None] | None = None,
    **gates: asyncio.Event,
) -> tuple[ReplayGroup, ...]:
    models = [Model(name, log, gates.get(name)) for name in ("a", "b")]
    replays = [
        PromptReplay(None, lines, ChatRequest(m.name), streamer=m, retry=FAST) for m in models
    ]
    group = ReplayGroup(replays, on_state=on_state, on_line=on_line)
    return group, *models  # type: ignore[return-value]


async def test_lockstep_and_separate_conversations() -> None:
    log: list[str] = []
    states: list[ReplayState] = []
    group, _a, _b = pair(["one", "two", "three"], log, on_state=states.append)
    assert await group.run() is ReplayState.DONE
    # line k goes to both models before line k+1 goes to either
    assert [entry.split(":")[1] for entry in log] == ["one", "one", "two", "two", "three", "three"]
    first, second = group.replays
    assert first.messages[1] == {"role": "assistant", "content": "a: one"}
    assert second.messages[1] == {"role": "assistant", "content": "b: one"}
    assert states == [ReplayState.RUNNING, ReplayState.DONE]


async def test_step_pause_skip() -> None:
    log: list[str] = []
    group, *_ = pair(["one", "two", "three", "four"], log)
    assert await group.step() is ReplayState.PAUSED
    assert group.position == 1
    group.skip()  # idle: the next line is skipped for both
    assert group.statuses(1) == [LineStatus.SKIPPED, LineStatus.SKIPPED]
    assert await group.run() is ReplayState.DONE
    assert group.statuses(3) == [LineStatus.DONE, LineStatus.DONE]


async def test_pause_waits_for_every_model() -> None:
    log: list[str] = []
    gate = asyncio.Event()
    group, _a, b = pair(["one", "two"], log, b=gate)
    task = asyncio.create_task(group.run())
    await b.started.wait()
    group.pause()
    gate.set()
    assert await task is ReplayState.PAUSED
    assert group.position == 1 and group.statuses(0) == [LineStatus.DONE] * 2


async def test_stop_keeps_partial_replies() -> None:
    log: list[str] = []
    gate = asyncio.Event()
    group, a, b = pair(["one", "two"], log, a=gate, b=gate)
    task = asyncio.create_task(group.run())
    await a.started.wait()
    await b.started.wait()
    group.stop()
    assert await task is ReplayState.STOPPED
    assert group.statuses(0) == [LineStatus.STOPPED] * 2
    assert group.replays[0].messages[-1] == {"role": "assistant", "content": "a: "}
    with pytest.raises(RuntimeError):
        await group.run()


async def test_a_failing_model_does_not_hold_up_the_other() -> None:
    log: list[str] = []
    group, a, _b = pair(["one", "two"], log)
    a.failures = [ServiceError(ErrorKind.SERVER, "boom", status=500)] * 2
    assert await group.run() is ReplayState.DONE
    assert group.statuses(0) == [LineStatus.FAILED, LineStatus.DONE]
    assert group.failed_lines() == [0]
    assert group.replays[0].messages == [
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "a: two"},
    ]


async def test_replays_stopped_directly_end_the_group() -> None:
    log: list[str] = []
    group, *_ = pair(["one", "two"], log)
    for replay in group.replays:
        replay.stop()
    assert await asyncio.wait_for(group.run(), 1) is ReplayState.STOPPED


def test_groups_need_matching_replays() -> None:
    with pytest.raises(ValueError):
        ReplayGroup([])
    a = PromptReplay(None, ["x"], ChatRequest("a"), streamer=Model("a", []))
    b = PromptReplay(None, ["x", "y"], ChatRequest("b"), streamer=Model("b", []))
    with pytest.raises(ValueError):
        ReplayGroup([a, b])


async def test_each_line_is_announced_as_it_goes_out_and_counted_per_model() -> None:
    log: list[str] = []
    heard: list[int] = []
    group, a, _b = pair(["one", "two", "three"], log, on_line=heard.append)
    a.failures = [ServiceError(ErrorKind.INVALID_REQUEST, "too long")]
    await group.run()
    assert heard == [0, 1, 2]
    assert (group.answered(0), group.failed(0)) == (2, 1)
    assert (group.answered(1), group.failed(1)) == (3, 0)


# ------------------------------------------------------------------ other profiles' services


class Service:
    """Stands in for a `FineTuningService`: only `close` matters here."""

    def __init__(self, profile: str) -> None:
        self.profile = profile
        self.closed = False

    async def close(self) -> None:
        self.closed = True


async def test_profile_services_open_once_and_close_what_is_not_kept() -> None:
    opened: list[Service] = []

    def connect(profile: str) -> Service:
        opened.append(Service(profile))
        return opened[-1]

    services = ProfileServices(connect)  # type: ignore[arg-type]
    together = services.get("together")
    assert services.get("together") is together and len(opened) == 1
    azure = services.get("azure")
    await services.release(keep={"azure"})
    assert together.closed and not azure.closed and services.profiles == ["azure"]
    await services.release()
    assert azure.closed and services.profiles == []


def test_profile_services_name_the_profile_that_cannot_be_opened() -> None:
    from tuner.config import ConfigError

    def connect(profile: str) -> Service:
        if profile == "gone":
            raise ConfigError("no profile named 'gone' (profiles: old)")
        raise ServiceError(ErrorKind.NO_KEY, "No API key.")

    services = ProfileServices(connect)  # type: ignore[arg-type]
    with pytest.raises(ServiceError, match=r"^profile gone: no profile named 'gone'"):
        services.get("gone")
    with pytest.raises(ServiceError, match=r"^profile new: No API key\.") as caught:
        services.get("new")
    assert caught.value.kind is ErrorKind.NO_KEY and services.profiles == []
