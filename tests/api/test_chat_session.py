"""ChatSettings parsing; ChatThread: one conversation shared by the replays that continue it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tuner.api.chat.replay import TranscriptUnsaved
from tuner.api.chat.request import ChatDelta, ChatDone, ChatRequest
from tuner.api.chat.session import (
    ChatSettings,
    ChatThread,
    Comparison,
    SettingsError,
    compare_threads,
    conversation_threads,
    lockstep,
    resume_threads,
)
from tuner.api.chat.transcripts import CompareSide, list_transcripts, load_transcript
from tuner.api.errors import ErrorKind, ServiceError


async def echo(request: ChatRequest) -> AsyncIterator[ChatDelta | ChatDone]:
    text = f"echo {request.messages[-1]['content']} ({len(request.messages)})"
    yield ChatDelta(text)
    yield ChatDone(text, "stop", 4, 2, request.model)


def test_settings_parse_blank_as_default_and_check_ranges() -> None:
    assert ChatSettings.parse() == ChatSettings()
    settings = ChatSettings.parse(" Be brief. ", "0.7", "-1", "2", "200")
    assert settings == ChatSettings("Be brief.", 0.7, -1.0, 2.0, 200)
    assert settings.params() == {
        "temperature": 0.7,
        "frequency_penalty": -1.0,
        "presence_penalty": 2.0,
        "max_tokens": 200,
    }
    assert settings.summary() == "temp 0.7 · freq -1 · pres 2 · max 200"
    assert ChatSettings().summary() == "temp — · freq — · pres — · max —"
    for kwargs, words in [
        ({"temperature": "hot"}, "temperature: 'hot' is not a number"),
        ({"temperature": "2.5"}, "outside 0 to 2"),
        ({"presence_penalty": "-3"}, "presence penalty"),
        ({"max_tokens": "1.5"}, "not a whole number"),
        ({"max_tokens": "0"}, "at least 1"),
    ]:
        with pytest.raises(SettingsError, match=words):
            ChatSettings.parse(**kwargs)


async def test_replays_of_a_thread_grow_one_conversation_and_one_transcript() -> None:
    thread = ChatThread("m")
    settings = ChatSettings("sys", temperature=0.2)
    assert list_transcripts() == []
    first = thread.replay(None, ["hi"], settings, streamer=echo)
    assert thread.transcript is None  # nothing on disk until a turn is written
    await first.run()
    second = thread.replay(None, ["again", "more"], settings, streamer=echo)
    assert second.request.system_prompt == "sys" and second.request.temperature == 0.2
    await second.run()
    assert [m["content"] for m in thread.messages] == [
        "hi",
        "echo hi (1)",
        "again",
        "echo again (3)",
        "more",
        "echo more (5)",
    ]
    assert thread.transcript is not None
    transcript = load_transcript(thread.transcript.path)
    assert transcript.header.params == {"temperature": 0.2}
    assert len(transcript.turns) == 6

    resumed = ChatThread.resume(transcript)
    assert resumed.messages == thread.messages
    await resumed.replay(None, ["last"], settings, streamer=echo).run()
    assert len(load_transcript(thread.transcript.path).turns) == 8
    assert len(list_transcripts()) == 1


async def test_unsaved_replays_write_nothing() -> None:
    thread = ChatThread("m")
    await thread.replay(None, ["hi"], ChatSettings(), streamer=echo, save=False).run()
    assert thread.transcript is None and len(thread.messages) == 2


async def test_a_thread_whose_transcript_cannot_start_keeps_talking(tmp_path) -> None:
    """The transcripts folder cannot be made (its parent is a regular file; root ignores
    permission bits): each replay of the thread still answers, and says so only once."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file\n")
    thread = ChatThread("m", directory=blocker / "transcripts")
    events: list[object] = []
    await thread.replay(None, ["hi"], ChatSettings(), streamer=echo, on_event=events.append).run()
    await thread.replay(None, ["more"], ChatSettings(), streamer=echo, on_event=events.append).run()
    assert [m["content"] for m in thread.messages] == ["hi", "echo hi (1)", "more", "echo more (3)"]
    unsaved = [e for e in events if isinstance(e, TranscriptUnsaved)]
    assert len(unsaved) == 1 and unsaved[0].folder == blocker / "transcripts"
    assert thread.transcript is None and thread.unsaved is not None


# ------------------------------------------------------------------ comparisons


def model(name: str, *, failing: set[int] | None = None):
    """A streamer answering `name: <prompt>`; requests numbered in `failing` fail for good."""
    calls = {"n": 0}

    async def stream(request: ChatRequest) -> AsyncIterator[ChatDelta | ChatDone]:
        calls["n"] += 1
        if failing and calls["n"] in failing:
            raise ServiceError(ErrorKind.INVALID_REQUEST, f"{name} refused it")
        text = f"{name}: {request.messages[-1]['content']}"
        yield ChatDelta(text)
        yield ChatDone(text, "stop", 3, 2, name)

    return stream


SIDES = [CompareSide("a", "old"), CompareSide("b", "new")]


def replays(threads, lines, streamers, **kwargs):
    return [
        thread.replay(None, lines, ChatSettings(), streamer=streamer, **kwargs)
        for thread, streamer in zip(threads, streamers, strict=True)
    ]


async def test_compared_threads_share_one_transcript() -> None:
    threads = compare_threads(SIDES, title="replay metin.txt")
    lines = ["one", "two", "three"]
    group = lockstep(threads, replays(threads, lines, [model("a", failing={2}), model("b")]))
    await group.run()
    assert (group.answered(0), group.answered(1), group.failed(0)) == (2, 3, 1)
    # Each side keeps its own conversation.
    assert [m["content"] for m in threads[0].messages] == ["one", "a: one", "three", "a: three"]
    assert len(threads[1].messages) == 6
    (path,) = {thread.transcript.path for thread in threads}
    saved = load_transcript(path)
    assert saved.header.compare == tuple(SIDES) and saved.header.title == "replay metin.txt"
    assert [(t.role, t.side) for t in saved.turns] == [
        ("user", None),
        ("assistant", 0),
        ("assistant", 1),
        ("user", None),
        ("assistant", 1),
        ("user", None),
        ("assistant", 0),
        ("assistant", 1),
    ]
    assert [m["content"] for m in saved.side(0).messages()] == [
        m["content"] for m in threads[0].messages
    ]


async def test_a_line_repeated_after_a_failure_is_still_two_lines() -> None:
    """The same prompt twice in a row, the first failing for one side: the group says where
    each line starts, so the second is not taken for the first."""
    threads = compare_threads(SIDES)
    lines = ["again", "again"]
    await lockstep(threads, replays(threads, lines, [model("a", failing={1}), model("b")])).run()
    saved = load_transcript(threads[0].transcript.path)
    assert [(t.role, t.side) for t in saved.turns] == [
        ("user", None),
        ("assistant", 1),
        ("user", None),
        ("assistant", 0),
        ("assistant", 1),
    ]


async def test_a_saved_comparison_continues_on_both_sides() -> None:
    threads = compare_threads(SIDES)
    await lockstep(threads, replays(threads, ["one"], [model("a"), model("b")])).run()
    saved = load_transcript(threads[0].transcript.path)
    with pytest.raises(ValueError):
        ChatThread.resume(saved)
    resumed = Comparison.resume(saved).threads
    assert [(t.model, t.profile, t.side) for t in resumed] == [("a", "old", 0), ("b", "new", 1)]
    assert resumed[1].messages == [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "b: one"},
    ]
    await lockstep(resumed, replays(resumed, ["two"], [model("a"), model("b")])).run()
    again = load_transcript(saved.path)
    assert [t.role for t in again.turns] == ["user", "assistant", "assistant"] * 2
    assert [t.index for t in again.turns] == list(range(6))
    assert again.side(1).messages()[-1] == {"role": "assistant", "content": "b: two"}


def test_a_new_conversation_has_a_thread_per_side() -> None:
    (one,) = conversation_threads([CompareSide("a", "old")])
    assert (one.model, one.profile, one.comparison) == ("a", "old", None)
    both = conversation_threads(SIDES)
    assert [(t.model, t.profile, t.side) for t in both] == [("a", "old", 0), ("b", "new", 1)]
    assert both[0].comparison is both[1].comparison
    assert both[0].title == "compare: a vs b"


async def test_a_saved_conversation_resumes_as_it_was_held() -> None:
    threads = compare_threads(SIDES)
    await lockstep(threads, replays(threads, ["one"], [model("a"), model("b")])).run()
    resumed = resume_threads(load_transcript(threads[0].transcript.path))
    assert [(t.model, t.profile, t.side) for t in resumed] == [("a", "old", 0), ("b", "new", 1)]
    alone = ChatThread("m", profile="work")
    await alone.replay(None, ["hi"], ChatSettings(), streamer=echo).run()
    (again,) = resume_threads(load_transcript(alone.transcript.path))
    assert (again.model, again.profile, again.messages) == ("m", "work", alone.messages)


async def test_an_unsaved_comparison_says_so_once(tmp_path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file\n")
    threads = compare_threads(SIDES, directory=blocker / "transcripts")
    events: list[object] = []
    group = lockstep(
        threads, replays(threads, ["one", "two"], [model("a"), model("b")], on_event=events.append)
    )
    await group.run()
    assert group.answered(0) == group.answered(1) == 2
    unsaved = [e for e in events if isinstance(e, TranscriptUnsaved)]
    assert len(unsaved) == 1 and unsaved[0].folder == blocker / "transcripts"
    assert all(thread.unsaved is not None for thread in threads)


async def test_one_model_records_its_profile() -> None:
    thread = ChatThread("m", profile="work")
    await thread.replay(None, ["hi"], ChatSettings(), streamer=echo).run()
    saved = load_transcript(thread.transcript.path)
    assert saved.header.profile == "work" and not saved.compared
    assert ChatThread.resume(saved).profile == "work" and thread.label == "m · work"
