"""`tuner chat --replay` as a script sees it: streamed transcript, exit codes, transcript saved."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tuner.api.chat.transcripts import list_transcripts, load_transcript
from tuner.api.retry import RetryPolicy
from tuner.cli import main
from tuner.commands import chat as chat_command
from tuner.emulator import Emulator, Fault

MODEL = "gpt-4o-mini-2024-07-18"


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator(port=0, speed=500, api_key="test-key") as emu:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        fast = RetryPolicy(attempts=3, base=0.001, cap=0.005)
        monkeypatch.setattr(chat_command, "_retry_policy", lambda: fast)
        yield emu


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    path = tmp_path / "metin.txt"
    path.write_text("Merhaba\n\nLaktozsuz süt var mı?\nTeşekkürler\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["chat", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_replay_prints_the_transcript_and_saves_it(service, prompts, capsys) -> None:
    code, out, err = run(capsys, "--model", MODEL, "--replay", str(prompts), "--system", "Kısa")
    assert code == 0
    assert "\033[" not in out  # not a terminal: plain text
    assert out.count("user [") == 3 and out.count("assistant:") == 3
    assert out.index("Merhaba") < out.index("Laktozsuz") < out.index("Teşekkürler")
    assert "You asked about" in out
    (saved,) = list_transcripts()
    assert f"transcript saved: {saved.path}" in err and "3 of 3 lines answered" in err
    transcript = load_transcript(saved.path)
    assert transcript.header.system_prompt == "Kısa"
    assert [t.role for t in transcript.turns] == ["user", "assistant"] * 3
    assert "test-key" not in saved.path.read_text() + out + err


def test_colours_on_a_terminal(service, prompts, monkeypatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    monkeypatch.setattr("sys.stdout", out)
    assert main(["chat", "--model", MODEL, "--replay", str(prompts)]) == 0
    text = out.getvalue()
    # The tutorial's colours: the user's lines green, the model's answers cyan.
    assert "\033[32muser [1/" in text
    assert "\033[36massistant:" in text


def test_a_line_that_keeps_failing_exits_1(service: Emulator, prompts, capsys) -> None:
    service.faults.add(Fault(path_pattern=r"/chat/completions", status=429, retry_after=0.001))
    service.faults.add(Fault(path_pattern=r"/chat/completions", status=500, times=2))
    code, out, err = run(capsys, "--model", MODEL, "--replay", str(prompts))
    # line 1: 429 then 500, 500 -> three attempts, failed and skipped; the others answered
    assert code == 1
    assert "line 1: failed:" in err and "2 of 3 lines answered" in err
    assert out.count("assistant:") >= 3


def test_usage_and_unusable_service_exit_2(service, prompts, tmp_path, capsys) -> None:
    code, _out, err = run(capsys, "--model", MODEL, "--replay", str(tmp_path / "missing.txt"))
    assert code == 2 and "cannot read" in err and len(err.strip().splitlines()) == 1
    code, _out, err = run(capsys, "--model", MODEL, "--replay", str(prompts), "--temperature", "9")
    assert code == 2 and "temperature" in err
    code, out, err = run(capsys, "--model", "no-such-model", "--replay", str(prompts))
    assert code == 2 and out == ""
    assert err == "tuner chat: the service at 127.0.0.1 has no model 'no-such-model' to chat with\n"
    assert list_transcripts() == []  # nothing answered, nothing saved
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n", encoding="utf-8")
    assert run(capsys, "--model", MODEL, "--replay", str(empty))[0] == 2


def test_a_misspelt_model_is_one_line_before_any_turn(service, prompts, capsys) -> None:
    code, out, err = run(capsys, "--model", "gpt-4o-mni", "--replay", str(prompts))
    assert code == 2 and out == ""  # not the first line, not "(no reply)"
    assert err == (
        "tuner chat: the service at 127.0.0.1 has no model 'gpt-4o-mni' to chat with; "
        "did you mean gpt-4o-mini-2024-07-18?\n"
    )
    assert list_transcripts() == []


def test_a_refused_key_is_one_line_before_any_turn(service, prompts, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "wrong-key")
    code, out, err = run(capsys, "--model", MODEL, "--replay", str(prompts))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("tuner chat: ")
    assert "401" in err or "key" in err.lower()
    assert "wrong-key" not in err
    assert list_transcripts() == []


def test_the_end_says_tokens_and_cost_in_words_that_count(service, tmp_path, capsys) -> None:
    one = tmp_path / "one.txt"
    one.write_text("Merhaba\n", encoding="utf-8")
    code, _out, err = run(capsys, "--model", MODEL, "--replay", str(one))
    assert code == 0, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("1 of 1 line answered · ")  # not "1 of 1 lines"
    assert re.search(r" · \d+ in · \d+ out · \$0\.0000[1-9]\d$", last), last  # a base model
    assert "price unknown" not in last


def test_no_key_exits_2(prompts, monkeypatch, capsys) -> None:
    code, _out, err = run(capsys, "--model", MODEL, "--replay", str(prompts))
    assert code == 2 and err.startswith("tuner chat:")


def test_an_unwritable_data_dir_loses_no_line(service, prompts, tmp_path, monkeypatch, capsys):
    """The transcript cannot be saved (its folder's parent is a regular file: tests run as root,
    which ignores permission bits): one warning, and every line is still sent and printed."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be\n")
    monkeypatch.setenv("TUNER_DATA_DIR", str(blocker / "data"))
    code, out, err = run(capsys, "--model", MODEL, "--replay", str(prompts))
    assert code == 0
    assert out.count("assistant:") == 3 and "Teşekkürler" in out
    assert "3 of 3 lines answered" in err
    warnings = [line for line in err.splitlines() if "cannot save the transcript" in line]
    assert len(warnings) == 1 and str(blocker / "data") in warnings[0]
    assert "not a directory" in warnings[0]
    assert "transcript saved" not in err and "Traceback" not in err


# -- which failures end the run (exit 2) and which only cost a line (exit 1) ---------------------


def test_a_rate_limit_storm_before_the_first_answer_is_waited_out(
    service: Emulator, prompts, capsys
) -> None:
    service.faults.add(
        Fault(path_pattern=r"/chat/completions", status=429, retry_after=0.001, times=2)
    )
    code, out, err = run(capsys, "--model", MODEL, "--replay", str(prompts))
    assert code == 0, err
    assert err.count("Rate limited (429)") == 2 and "3 of 3 lines answered" in err
    assert out.count("assistant:") == 5  # line 1 started three times


def test_a_dropped_stream_before_the_first_answer_is_retried(
    service: Emulator, prompts, capsys
) -> None:
    service.faults.add(Fault(path_pattern=r"/chat/completions", drop_connection=True))
    code, out, err = run(capsys, "--model", MODEL, "--replay", str(prompts))
    assert code == 0, err
    assert "The connection dropped before the reply was complete" in err
    assert "retrying: the reply starts again" in out and "3 of 3 lines answered" in err


@pytest.mark.parametrize(
    "fault",
    [
        Fault(path_pattern=r"/chat/completions", drop_connection=True, times=3),
        Fault(path_pattern=r"/chat/completions", status=429, retry_after=0.001, times=3),
    ],
    ids=["dropped", "rate-limited"],
)
def test_a_first_line_that_keeps_failing_is_skipped_not_fatal(
    service: Emulator, prompts, capsys, fault: Fault
) -> None:
    """The service answered (a 429, a stream cut short): it is reachable, so the run goes on
    past line 1 and ends with exit 1 (a line failed), not 2 (service unusable)."""
    service.faults.add(fault)
    code, out, err = run(capsys, "--model", MODEL, "--replay", str(prompts))
    assert code == 1, err
    assert "line 1: failed:" in err and "2 of 3 lines answered" in err
    assert "Cannot reach" not in err and "(no reply)" in out
    assert "Teşekkürler" in out


def test_a_refused_connection_on_the_first_line_ends_the_run(prompts, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    fast = RetryPolicy(attempts=2, base=0.001, cap=0.005)
    monkeypatch.setattr(chat_command, "_retry_policy", lambda: fast)
    code, _out, err = run(capsys, "--model", MODEL, "--replay", str(prompts))
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last == "tuner chat: Cannot reach http://127.0.0.1:9/v1 (connection refused)"
