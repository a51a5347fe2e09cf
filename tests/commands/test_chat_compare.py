"""`tuner chat --compare`: one prompt file into two models on two profiles, in lockstep.

Each profile has its own emulator (or its own dialect on one emulator), so a fault injected into
one service fails one model only, and a fine-tune that only the first service knows proves each
model was asked through its own profile.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import BASE_MODEL, TEST_KEY, train_model, write_examples
from tuner.api.chat.export import complete_exchanges
from tuner.api.chat.transcripts import CompareSide, list_transcripts, load_transcript
from tuner.api.retry import RetryPolicy
from tuner.cli import main
from tuner.commands import chat as chat_command
from tuner.commands.chat_columns import wrap_cells
from tuner.config import config_dir, save_api_key
from tuner.data.fit_text import cell_width
from tuner.emulator import Emulator, Fault

OTHER = "gpt-4.1-nano-2025-04-14"
TOGETHER_MODEL = "Qwen/Qwen2.5-7B-Instruct"
ANSI = re.compile(r"\033\[[0-9;]*m")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def old() -> Iterator[Emulator]:
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        yield emu


@pytest.fixture
def new() -> Iterator[Emulator]:
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        yield emu


def write_settings(profiles: dict[str, tuple[str, str]], *, keys: bool = True) -> None:
    """settings.toml with `name = (kind, base_url)` profiles; each gets the test key saved."""
    text = 'active_profile = "old"\n'
    for name, (kind, url) in profiles.items():
        text += f'\n[profiles.{name}]\nkind = "{kind}"\nbase_url = "{url}"\n'
        if keys:
            save_api_key(name, TEST_KEY)
    (config_dir() / "settings.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def two_profiles(old: Emulator, new: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    write_settings({"old": ("openai", old.base_url), "new": ("openai", new.base_url)})
    fast = RetryPolicy(attempts=3, base=0.001, cap=0.005)
    monkeypatch.setattr(chat_command, "_retry_policy", lambda: fast)


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    path = tmp_path / "metin.txt"
    path.write_text("Merhaba\n\nLaktozsuz süt var mı?\nTeşekkürler\n", encoding="utf-8")
    return path


def compare(capsys, prompts: Path, *extra: str, model=BASE_MODEL, other=OTHER):
    argv = ["chat", "--model", model, "--compare", other, "--replay", str(prompts)]
    code = main([*argv, "--compare-profile", "new", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def the_transcript():
    (info,) = list_transcripts()
    return info, load_transcript(info.path)


# ------------------------------------------------------------------ plain output


def test_two_profiles_plain_blocks_one_transcript(
    old: Emulator, two_profiles, prompts, tmp_path, capsys
) -> None:
    job = asyncio.run(train_model(old, write_examples(tmp_path / "t.jsonl", 12), "cmp"))
    tuned = job.fine_tuned_model
    assert tuned is not None
    code, out, err = compare(capsys, prompts, "--profile", "old", model=tuned)
    assert code == 0, err
    assert "\033[" not in out + err  # not a terminal: no ANSI codes at all
    # Sequential blocks, labelled `model · profile` (the profiles differ), line by line.
    first, second = f"{tuned} · old:", f"{OTHER} · new:"
    blocks = out.split("user [")[1:]
    assert len(blocks) == 3
    for block in blocks:
        assert block.index(first) < block.index(second)
    assert "Merhaba" in blocks[0] and "Teşekkürler" in blocks[2]
    # Each model was asked through its own profile: only `old` knows the fine-tune.
    assert out.count(f"{first} **Short answer:**") == 3
    assert out.count(f"{second} You asked about") == 3
    # The end: per model, lines answered, tokens and cost by its own catalog.
    assert f"{tuned} · old: 3 of 3 lines answered" in err
    assert f"{OTHER} · new: 3 of 3 lines answered" in err
    tuned_line = next(line for line in err.splitlines() if line.startswith(first))
    other_line = next(line for line in err.splitlines() if line.startswith(second))
    assert re.search(r"\d+ in · \d+ out · \$", tuned_line)  # a fine-tune is priced
    assert re.search(r"\d+ in · \d+ out · \$", other_line)  # and a base model, at its own
    assert "price unknown" not in err

    info, transcript = the_transcript()
    assert f"transcript saved: {info.path}" in err
    assert info.model == f"{tuned} vs {OTHER}" and info.turns == 3
    assert transcript.header.compare == (CompareSide(tuned, "old"), CompareSide(OTHER, "new"))
    roles = [turn.role for turn in transcript.turns]
    assert roles == ["user", "assistant", "assistant"] * 3  # the prompt written once
    assert [len(complete_exchanges(transcript, side)) for side in (0, 1)] == [3, 3]
    replies = [t for t in transcript.turns if t.role == "assistant"]
    assert {(t.side, t.profile) for t in replies} == {(0, "old"), (1, "new")}
    text = info.path.read_text(encoding="utf-8")
    assert TEST_KEY not in text + out + err and old.base_url not in text


def test_a_line_failing_for_one_model_only_exits_1(
    new: Emulator, two_profiles, prompts, capsys
) -> None:
    new.faults.add(Fault(path_pattern=r"/chat/completions", status=500, times=3))
    code, out, err = compare(capsys, prompts)
    assert code == 1, err
    assert f"line 1: {OTHER} · new: failed:" in err
    assert f"{BASE_MODEL} · old: 3 of 3 lines answered" in err
    assert f"{OTHER} · new: 2 of 3 lines answered" in err
    assert out.count(f"{OTHER} · new: (no reply)") == 1
    assert out.count(f"{BASE_MODEL} · old: You asked about") == 3
    _info, transcript = the_transcript()
    assert [t.role for t in transcript.turns].count("user") == 3
    assert len(complete_exchanges(transcript, 0)) == 3
    assert [e.user.content for e in complete_exchanges(transcript, 1)] == [
        "Laktozsuz süt var mı?",
        "Teşekkürler",
    ]


def test_one_profile_compares_two_of_its_models(old: Emulator, prompts, monkeypatch, capsys):
    """No --compare-profile: both models through --profile (here the active one)."""
    write_settings({"old": ("openai", old.base_url)})
    argv = ["chat", "--model", BASE_MODEL, "--compare", OTHER, "--replay", str(prompts)]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.count(f"{BASE_MODEL}: ") == 3 and out.count(f"{OTHER}: ") == 3  # no profile
    _info, transcript = the_transcript()
    assert transcript.header.compare == (CompareSide(BASE_MODEL, "old"), CompareSide(OTHER, "old"))


def test_an_unwritable_data_dir_loses_no_line_of_either_model(
    two_profiles, prompts, tmp_path, monkeypatch, capsys
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be\n")
    monkeypatch.setenv("TUNER_DATA_DIR", str(blocker / "data"))
    code, out, err = compare(capsys, prompts)
    assert code == 0, err
    assert out.count(f"{OTHER} · new: You asked about") == 3
    warnings = [line for line in err.splitlines() if "cannot save the transcript" in line]
    assert len(warnings) == 1 and "goes on unsaved" in warnings[0]
    assert "transcript saved" not in err and "Traceback" not in err


# ------------------------------------------------------------------ a terminal


def compare_on(
    monkeypatch: pytest.MonkeyPatch,
    prompts: Path,
    *,
    width: int = 100,
    err: io.StringIO | None = None,
) -> tuple[int, str, str]:
    """Run the comparison with stdout a terminal `width` columns wide. Patched here, in the
    test's own call: pytest puts its capture back on sys.stdout once fixtures are set up."""
    out, err = Terminal(), err or io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    size = os.terminal_size((width, 30))
    monkeypatch.setattr("shutil.get_terminal_size", lambda *args, **kwargs: size)
    argv = ["chat", "--model", BASE_MODEL, "--compare", OTHER, "--compare-profile", "new"]
    code = main([*argv, "--replay", str(prompts)])
    return code, out.getvalue(), err.getvalue()


def test_side_by_side_in_colour_on_a_terminal(two_profiles, prompts, monkeypatch) -> None:
    code, text, err = compare_on(monkeypatch, prompts)
    assert code == 0, err
    rows = [ANSI.sub("", row) for row in text.splitlines()]
    assert all(cell_width(row) <= 100 for row in rows)  # nothing wider than the terminal
    # The column heads, once, side by side: the model names, with their profiles.
    assert rows[0].startswith(f"{BASE_MODEL} · old ") and rows[0].endswith(f"│ {OTHER} · new")
    assert sum(1 for row in rows if f"{OTHER} · new" in row) == 1
    # The user's line across the top in the tutorial's green, then the two replies.
    assert "\033[32muser [1/3]: Merhaba\033[0m" in text
    first = rows.index("user [1/3]: Merhaba")
    assert rows[first + 1].startswith("You asked about") and "│ You asked about" in rows[first + 1]
    column = (100 - 3) // 2
    for row in rows[first + 1 : rows.index("user [2/3]: Laktozsuz süt var mı?") - 1]:
        assert row[column : column + 3] == " │ "  # the columns line up
    assert "\033[36m" in text  # the model's words in cyan
    assert "\033[" not in err  # stderr is no terminal here: no status line
    assert f"{OTHER} · new: 3 of 3 lines answered" in err


def test_no_color_keeps_the_columns_without_codes(two_profiles, prompts, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    code, text, _err = compare_on(monkeypatch, prompts)
    assert code == 0 and "\033[" not in text
    assert text.splitlines()[0].endswith(f"│ {OTHER} · new")


def test_a_narrow_terminal_gets_blocks(two_profiles, prompts, monkeypatch) -> None:
    code, text, _err = compare_on(monkeypatch, prompts, width=40)
    assert code == 0 and "│" not in ANSI.sub("", text)
    assert "\033[32muser [1/3]: Merhaba" in text  # still in colour: it is a terminal


def test_a_waiting_status_on_a_terminal_s_stderr(two_profiles, prompts, monkeypatch) -> None:
    code, _text, said = compare_on(monkeypatch, prompts, err=Terminal())
    assert code == 0
    assert f"line 1/3: waiting for {BASE_MODEL} · old, {OTHER} · new…" in said
    assert "\033[" not in said  # drawn and cleared with carriage returns and spaces only
    # Cleared before anything else is said: the summary lines start with a model's name.
    last_lines = said.rsplit("\r", 1)[-1].splitlines()
    assert last_lines[-1].startswith(f"{OTHER} · new: 3 of 3 lines answered")


# ------------------------------------------------------------------ across services


def test_openai_and_together_profiles_on_one_emulator(old: Emulator, prompts, monkeypatch, capsys):
    pytest.importorskip("tuner.api.providers.together")
    write_settings({"old": ("openai", old.base_url), "new": ("together", old.together_base_url)})
    code, out, err = compare(capsys, prompts, other=TOGETHER_MODEL)
    assert code == 0, err
    assert out.count(f"{TOGETHER_MODEL} · new: You asked about") == 3
    assert f"{TOGETHER_MODEL} · new: 3 of 3 lines answered" in err
    _info, transcript = the_transcript()
    assert transcript.header.compare[1] == CompareSide(TOGETHER_MODEL, "new")
    assert len(complete_exchanges(transcript, 1)) == 3


# ------------------------------------------------------------------ failures that end the run


def test_no_key_for_the_second_profile_names_it(old: Emulator, new: Emulator, prompts, capsys):
    write_settings({"old": ("openai", old.base_url), "new": ("openai", new.base_url)}, keys=False)
    save_api_key("old", TEST_KEY)
    code, out, err = compare(capsys, prompts)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith(f"tuner chat: {OTHER} (profile new): No API key")
    assert list_transcripts() == []


def test_an_unknown_model_on_the_second_profile_is_one_line_before_any_turn(
    two_profiles, prompts, capsys
):
    code, out, err = compare(capsys, prompts, other="gpt-4.1-nano-2025-04-41")
    assert code == 2 and out == ""  # no turn, no "(no reply)"
    assert err == (
        "tuner chat: gpt-4.1-nano-2025-04-41 (profile new): the service at 127.0.0.1 has no "
        "model 'gpt-4.1-nano-2025-04-41' to chat with; did you mean gpt-4.1-nano-2025-04-14?\n"
    )
    assert list_transcripts() == []


def test_usage_errors_exit_2(two_profiles, prompts, capsys) -> None:
    code, _out, err = compare(capsys, prompts, "--profile", "nowhere")
    assert code == 2 and "no profile named 'nowhere'" in err
    argv = ["chat", "--model", BASE_MODEL, "--compare-profile", "new", "--replay", str(prompts)]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and "--compare-profile" in err and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------ wrapping


def test_wrapping_counts_cells_and_keeps_line_breaks() -> None:
    assert wrap_cells("one two three", 7) == ["one two", "three"]
    assert wrap_cells("a\n\nb", 10) == ["a", "", "b"]
    assert wrap_cells("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    wide = wrap_cells("日本語のテキスト です", 8)
    assert all(cell_width(row) <= 8 for row in wide) and "".join(wide) == "日本語のテキストです"
    assert cell_width("çok güzel") == 9 and cell_width("日本") == 4
