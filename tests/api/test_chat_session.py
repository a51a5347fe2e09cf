"""ChatSettings parsing; ChatThread: one conversation shared by the replays that continue it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tuner.api.chat import ChatDelta, ChatDone, ChatRequest
from tuner.api.chat_session import ChatSettings, ChatThread, SettingsError
from tuner.api.replay import TranscriptUnsaved
from tuner.api.transcripts import list_transcripts, load_transcript


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
