"""Text from outside never acts on the terminal, headless: a service (the emulator, through the real
SDKs) names a job, a model, a file, an event, a failure, a reply or an error with escape sequences
(window title, clear screen, clipboard, hyperlink) and markup, and a user names a file so; every
command prints them with visible stand-ins (␛), while `--json`, transcripts and backups keep the
exact text."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    BASE_MODEL,
    TEST_KEY,
    chat_example,
    start_job,
    train_model,
    write_examples,
    write_jsonl,
)
from tuner.api.chat.transcripts import list_transcripts, load_transcript
from tuner.api.retry import RetryPolicy
from tuner.api.types import Job
from tuner.cli import main
from tuner.commands import chat as chat_command
from tuner.commands.chat_columns import MODEL_COLOUR, RESET, USER_COLOUR
from tuner.config import config_dir, save_api_key
from tuner.emulator import Emulator, Fault
from tuner.emulator.openai.store import Event

# Retitle the window, clear the screen, write the clipboard, make a link; then markup.
HOSTILE = "\x1b]0;title\x07\x1b[2J\x1b]52;c;aGk=\x07\x1b]8;;http://x\x07[bold]x[/]"
# DEL and a C1 control (CSI on an 8-bit terminal): JSON does not escape these by itself.
C1 = "\x9b31m\x7f"
SHOWN = "␛]0;title␇␛[2J␛]52;c;aGk=␇␛]8;;http://x␇[bold]x[/]"
# A file name cannot hold "/": the same, without the markup's closing tag.
FILE_NAME = "\x1b]0;title\x07\x1b[2J\x1b]52;c;aGk=\x07\x1b]8;;x\x07[bold]x\x9b.jsonl"
LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"


def inert(*texts: str) -> None:
    """Nothing a terminal acts on: no ESC, no BEL, no other C0 control but line ends and tabs,
    no DEL and no C1 control."""
    for text in texts:
        bad = [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
        assert not bad, f"control characters reached the terminal: {bad!r} in {text!r}"


def no_raw_controls(text: str) -> None:
    """JSON output: every control character escaped (the text itself is exact once loaded)."""
    assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in text), text


def hostile_job(emulator: Emulator, job: Job) -> str:
    """The service now names `job`'s model with hostile text and logs a hostile event (one that
    would also forge a second line); returns the fine-tuned model's new name."""
    name = f"ft:{BASE_MODEL}:org:{HOSTILE}{C1}:x"
    with emulator.state.lock:
        emulator.state.tick()
        stored = emulator.state.jobs[job.id]
        stored.fine_tuned_model = name
        last = stored.events[-1].created_at
        message = f"Step 9\n12:00:00  error  forged {HOSTILE}{C1}"
        stored.events.append(Event(emulator.state.ids.new("ftevent-"), last + 1, "info", message))
    return name


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- jobs -----------------------------------------------------------------------------------------


def test_jobs_list_follow_and_json_of_a_hostile_service(
    service_env: Emulator, train_file: Path, capsys
) -> None:
    job = asyncio.run(train_model(service_env, train_file, "shop"))
    name = hostile_job(service_env, job)

    code, out, err = run(capsys, "jobs")
    assert code == 0
    inert(out, err)
    assert f"ft:{BASE_MODEL}:org:{SHOWN}\\x9b31m␡:x" in out
    assert len(out.splitlines()) == 2  # the header and the one job: nothing forged a row

    code, out, err = run(capsys, "jobs", "--json")
    assert code == 0
    no_raw_controls(out)
    assert json.loads(out)["data"][0]["fine_tuned_model"] == name  # the exact text

    code, out, err = run(capsys, "jobs", "follow", job.id, "--interval", "0.01")
    assert code == 0
    inert(out, err)
    events = service_env.server_events(job.id)
    assert len(out.splitlines()) == len(events)  # the event's own line break forged nothing
    assert f"Step 9␊12:00:00  error  forged {SHOWN}" in out.splitlines()[-1]
    assert f"Job {job.id} succeeded: ft:{BASE_MODEL}:org:{SHOWN}" in err

    code, out, err = run(capsys, "jobs", "follow", job.id, "--json", "--interval", "0.01")
    assert code == 0
    no_raw_controls(out)
    last = json.loads(out.splitlines()[-1])
    assert last["message"] == f"Step 9\n12:00:00  error  forged {HOSTILE}{C1}"


def test_a_job_failed_for_a_hostile_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    reason = f"{HOSTILE}{C1} is wrong"
    with Emulator(
        port=0, speed=500, api_key=TEST_KEY, training_file_checker=lambda _: reason
    ) as emu:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        train = write_examples(tmp_path / "train.jsonl", 20)
        code, out, err = run(
            capsys, "jobs", "create", "--model", BASE_MODEL, "--training-file", str(train)
        )
        assert code == 0
        job_id = out.split()[0]

        code, out, err = run(capsys, "jobs", "follow", job_id, "--interval", "0.01")

    assert code == 1
    inert(out, err)
    assert f"{SHOWN}\\x9b31m␡ is wrong" in out  # the error event
    assert f"job {job_id} failed: {SHOWN}\\x9b31m␡ is wrong" in err


def test_an_error_message_from_the_service(service_env: Emulator, capsys) -> None:
    service_env.faults.add(Fault(path_pattern=r"/fine_tuning/jobs", status=400, message=HOSTILE))
    code, out, err = run(capsys, "jobs")
    assert code == 2
    inert(out, err)
    assert err == f"tuner jobs: The service refused the request (400): {SHOWN}\n"


def test_a_service_error_while_following_is_shown_inert(
    service_env: Emulator, train_file: Path, capsys
) -> None:
    job_id = asyncio.run(start_job(service_env, train_file))
    service_env.faults.add(
        Fault(path_pattern=r"/events", status=503, message=HOSTILE, retry_after=0.001)
    )
    code, out, err = run(capsys, "jobs", "follow", job_id, "--interval", "0.01")
    assert code == 0
    inert(out, err)
    assert f"reconnecting: The service failed (503): {SHOWN}" in err


def test_a_hostile_file_name_uploaded_and_listed(
    service_env: Emulator, tmp_path: Path, capsys
) -> None:
    path = write_examples(tmp_path / FILE_NAME, 20)

    code, out, err = run(capsys, "upload", str(path))
    assert code == 0
    inert(out, err)
    assert "␛]0;title" in out and "\\x9b.jsonl" in out

    code, out, err = run(capsys, "upload", str(path), "--json")
    assert code == 0
    no_raw_controls(out)
    stored = service_env.state.files[json.loads(out)["id"]]
    assert json.loads(out)["filename"] == stored.filename and "\x1b" in stored.filename

    code, out, err = run(
        capsys, "jobs", "create", "--model", BASE_MODEL, "--training-file", str(path)
    )
    assert code == 0
    inert(out, err)
    assert "uploaded " in err and "␛]0;title␇" in err


def test_a_refused_upload_names_a_hostile_file_inert(
    service_env: Emulator, tmp_path: Path, capsys
) -> None:
    path = write_jsonl(tmp_path / FILE_NAME, [chat_example(i) for i in range(3)])
    code, out, err = run(capsys, "upload", str(path))
    assert code == 1
    inert(out, err)
    assert "1 error; not uploaded" in err and "␛]52;c;aGk=␇" in err


# -- files read locally ---------------------------------------------------------------------------


def test_validate_and_convert_quote_a_hostile_file_inert(tmp_path: Path, capsys) -> None:
    path = write_jsonl(tmp_path / FILE_NAME, [chat_example(i) for i in range(3)])

    code, out, err = run(capsys, "validate", str(path))
    assert code == 1
    inert(out, err)
    assert "␛]0;title␇" in out

    code, out, err = run(capsys, "validate", str(path), "--json")
    no_raw_controls(out)
    assert json.loads(out)["path"] == str(path)

    broken = tmp_path / f"in{FILE_NAME}"
    broken.write_text('{"messages": []}\n{"messages": [\n', encoding="utf-8")
    code, out, err = run(capsys, "convert", str(broken), str(tmp_path / "out.jsonl"))
    assert code == 1
    inert(out, err)
    assert "␛]0;title␇" in err and "␛]0;title␇" not in out  # the skipped object; nothing else

    code, out, err = run(
        capsys, "convert", str(broken), str(tmp_path / "out.jsonl"), "--force", "--json"
    )
    no_raw_controls(out)
    assert json.loads(out)["input"] == str(broken)


# -- chat -----------------------------------------------------------------------------------------


@pytest.fixture
def chat_service(service_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    fast = RetryPolicy(attempts=3, base=0.001, cap=0.005)
    monkeypatch.setattr(chat_command, "_retry_policy", lambda: fast)
    return service_env


@pytest.fixture
def hostile_prompts(tmp_path: Path) -> Path:
    """A prompt file whose line the base model's reply quotes (`You asked about "..."`)."""
    path = tmp_path / "metin.txt"
    path.write_text(f"{HOSTILE}\nMerhaba\n", encoding="utf-8")
    return path


def test_chat_replay_streams_a_hostile_reply_inert_and_saves_it_exactly(
    chat_service: Emulator, hostile_prompts: Path, capsys
) -> None:
    code, out, err = run(capsys, "chat", "--model", BASE_MODEL, "--replay", str(hostile_prompts))
    assert code == 0
    inert(out, err)
    assert f"user [1/2]: {SHOWN}" in out
    assert f'You asked about "{SHOWN}".' in out  # streamed in pieces, each shown
    (saved,) = list_transcripts()
    turns = load_transcript(saved.path).turns
    assert turns[0].content == HOSTILE  # the transcript keeps the exact text
    assert f'You asked about "{HOSTILE}".' in turns[1].content


def test_chat_replay_on_a_terminal_keeps_only_its_own_colours(
    chat_service: Emulator, hostile_prompts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    monkeypatch.setattr("sys.stdout", out)
    assert main(["chat", "--model", BASE_MODEL, "--replay", str(hostile_prompts)]) == 0
    painted = out.getvalue()
    for colour in (USER_COLOUR, MODEL_COLOUR, RESET):
        painted = painted.replace(colour, "")
    inert(painted)
    assert SHOWN in painted


@pytest.mark.parametrize("terminal", [False, True])
def test_chat_compare_shows_hostile_replies_inert(
    chat_service: Emulator,
    hostile_prompts: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
    terminal: bool,
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out: Any = Terminal() if terminal else None
    if terminal:
        monkeypatch.setattr("sys.stdout", out)
        monkeypatch.setenv("COLUMNS", "160")  # side by side
    argv = [
        "chat",
        "--model",
        BASE_MODEL,
        "--compare",
        BASE_MODEL,
        "--replay",
        str(hostile_prompts),
    ]
    assert main(argv) == 0
    text = out.getvalue() if terminal else capsys.readouterr().out
    for code in ("\033[32m", "\033[36m", "\033[1;36m", "\033[2m", "\033[0m"):
        text = text.replace(code, "")
    inert(text, capsys.readouterr().err)
    assert "␛]0;title␇" in text


# -- migrate and backup ---------------------------------------------------------------------------


@pytest.fixture
def two_profiles(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    text = (
        'active_profile = "oa"\n'
        f'[profiles.oa]\nkind = "openai"\nbase_url = "{emulator.base_url}"\n'
        f'[profiles.tg]\nkind = "together"\nbase_url = "{emulator.together_base_url}"\n'
    )
    (config_dir() / "settings.toml").write_text(text, encoding="utf-8")
    save_api_key("oa", TEST_KEY)
    save_api_key("tg", TEST_KEY)
    monkeypatch.chdir(tmp_path)
    return emulator


def name_training_file(emulator: Emulator, job: Job, filename: str) -> None:
    assert job.training_file is not None
    with emulator.state.lock:
        emulator.state.files[job.training_file].filename = filename


def test_migrate_plan_and_progress_are_inert(
    two_profiles: Emulator, tmp_path: Path, capsys
) -> None:
    job = asyncio.run(train_model(two_profiles, write_examples(tmp_path / "t.jsonl", 20), "shop"))
    name_training_file(two_profiles, job, f"{HOSTILE}{C1}.jsonl")

    code, out, err = run(capsys, "migrate", job.id, "--to", "tg", "--model", LLAMA, "--dry-run")
    assert code == 0, err
    inert(out, err)
    assert f"Training file {job.training_file} ({SHOWN}\\x9b31m␡.jsonl)" in out

    code, out, err = run(
        capsys, "migrate", job.id, "--to", "tg", "--model", LLAMA, "--dry-run", "--json"
    )
    assert code == 0, err
    no_raw_controls(out)
    assert json.loads(out)["files"][0]["original"]["filename"] == f"{HOSTILE}{C1}.jsonl"


def test_backup_lines_are_inert_and_the_copy_exact(
    service_env: Emulator, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [chat_example(i) for i in range(20)]
    rows[0]["messages"][1]["content"] = HOSTILE  # the data itself holds the sequences
    job = asyncio.run(train_model(service_env, write_jsonl(tmp_path / "t.jsonl", rows), "shop"))
    hostile_job(service_env, job)
    name_training_file(service_env, job, f"{HOSTILE}{C1}.jsonl")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    folder = tmp_path / "backup"
    service_env.faults.add(Fault(path_pattern=rf"/files/{job.training_file}/content", status=404))

    code, out, err = run(capsys, "backup", str(folder))

    assert code == 0
    inert(out, err)
    assert f"[1/1] {job.id}  saved" in err
    assert f"not saved: {job.training_file} ({SHOWN}\\x9b31m␡.jsonl), used by {job.id}" in err
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert index["missing"][0]["filename"] == f"{HOSTILE}{C1}.jsonl"  # exact in the index

    code, out, err = run(capsys, "backup", str(folder))  # the file can be read again

    assert code == 0
    inert(out, err)
    # The copies keep every byte: the training file as uploaded, the events as the service said.
    saved = next((folder / "files").glob(f"{job.training_file}__*"))
    assert saved.read_bytes() == (tmp_path / "t.jsonl").read_bytes()
    events = (folder / "jobs" / job.id / "events.jsonl").read_text(encoding="utf-8")
    assert any(HOSTILE in json.loads(line)["message"] for line in events.splitlines())
