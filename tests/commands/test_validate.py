"""`tuner validate` (and convert then validate) as scripts see them: exit codes, JSON, messages,
and every kind of input a shell can hand over: files, stdin, pipes, FIFOs, links."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import orjson
import pytest

from tuner.cli import main


def chat(i: int) -> dict:
    return {
        "messages": [
            {"role": "system", "content": "Sen yardımcı bir asistansın."},
            {"role": "user", "content": f"Soru {i}"},
            {"role": "assistant", "content": f"Cevap {i}"},
        ]
    }


def write(path: Path, rows: list[object]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_file_exits_0_with_the_documented_json(tmp_path, capsys) -> None:
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(60)])
    code, out, err = run(capsys, "validate", str(path), "--json")
    assert code == 0, err
    data = json.loads(out)
    for key in (
        "path",
        "format",
        "model",
        "examples",
        "valid",
        "errors",
        "warnings",
        "tokens",
        "encoding",
        "exact_tokens",
        "epochs",
        "estimated_cost_usd",
    ):
        assert key in data, key
    for key in ("total", "billed", "max_example", "mean_example", "assistant_total"):
        assert key in data["tokens"], key
    assert data["format"] == "chat" and data["valid"] is True and data["examples"] == 60
    assert data["model"] == "gpt-4o-mini-2024-07-18"
    assert data["encoding"] == "o200k_base" and data["exact_tokens"] is True
    assert data["epochs"] == 3
    assert data["errors"] == [] and isinstance(data["estimated_cost_usd"], float)


def test_errors_exit_1_and_json_lists_every_problem(tmp_path, capsys) -> None:
    rows: list[object] = [chat(i) for i in range(40)]
    rows += [{"messages": [{"role": "asistant", "content": "x"}]} for _ in range(30)]
    path = write(tmp_path / "bad.jsonl", rows)
    code, out, _ = run(capsys, "validate", str(path), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["valid"] is False
    roles = [e for e in data["errors"] if e["code"] == "unrecognized_role"]
    assert [e["line"] for e in roles] == list(range(41, 71))
    assert set(roles[0]) >= {"line", "code", "message"}


def test_human_report_caps_long_lists_and_shows_the_estimate(tmp_path, capsys) -> None:
    rows: list[object] = [chat(i) for i in range(40)]
    rows += [{"messages": [{"role": "asistant", "content": "x"}]} for _ in range(30)]
    code, out, _ = run(capsys, "validate", str(write(tmp_path / "bad.jsonl", rows)))
    assert code == 1
    assert "INVALID" in out and "unrecognized_role (30) lines 41, 42" in out
    assert "…" in out  # capped: only the first line numbers of the group
    assert "Estimate for gpt-4o-mini-2024-07-18" in out and "$" in out


def test_model_and_epochs_options(tmp_path, capsys) -> None:
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(60)])
    code, out, _ = run(
        capsys,
        "validate",
        str(path),
        "--json",
        "--model",
        "ft:gpt-3.5-turbo-0125:acme:bot:abc123",
        "--epochs",
        "2",
    )
    data = json.loads(out)
    assert code == 0
    assert data["encoding"] == "cl100k_base" and data["epochs"] == 2
    assert data["base_model"] == "gpt-3.5-turbo-0125"


def test_seed_cost_example_through_the_settings_catalog(tmp_path, capsys, monkeypatch) -> None:
    """A price override in settings.toml reaches the estimate (prices change; users fix them)."""
    config = Path(tmp_path / "config")
    config.mkdir()
    monkeypatch.setenv("TUNER_CONFIG_DIR", str(config))
    (config / "settings.toml").write_text(
        '[[models]]\nid = "gpt-3.5-turbo-0125"\ntraining_price_per_1m = 8.0\n', encoding="utf-8"
    )
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(60)])
    code, out, _ = run(capsys, "validate", str(path), "--json", "--model", "gpt-3.5-turbo-0125")
    data = json.loads(out)
    assert code == 0
    expected = round(data["tokens"]["billed"] * data["epochs"] * 8.0 / 1e6, 6)
    assert data["estimated_cost_usd"] == pytest.approx(expected)


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_unreadable_paths_exit_2_with_one_line(tmp_path, capsys, make) -> None:
    path = tmp_path / "nope.jsonl"
    if make == "directory":
        path.mkdir()
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err


def test_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["validate", "x.jsonl", "--epochs", "zero"])
    assert exc.value.code == 2


def test_malformed_settings_is_a_clean_error(tmp_path, capsys, monkeypatch) -> None:
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("TUNER_CONFIG_DIR", str(config))
    (config / "settings.toml").write_text("default_model = \n", encoding="utf-8")
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2 and "settings.toml" in err


SEED_SHAPE = """{
  "messages": [
    {"role": "system", "content": "Sen yardımcı bir asistansın."},
    {"role": "user", "content": "Merhaba!"},
    {"role": "assistant", "content": "Merhaba, nasıl yardımcı olabilirim?"},
  ]
},
{
  "messages": [
    {"role": "user", "content": "Türkiye'nin başkenti neresi?"},
    {"role": "assistant", "content": "Ankara."},
  ]
},
"""


def test_convert_then_validate_the_seed_shape(tmp_path, capsys) -> None:
    src = tmp_path / "examples.json"
    src.write_text(SEED_SHAPE, encoding="utf-8")
    code, _, _ = run(capsys, "validate", str(src), "--json")
    assert code == 1  # one not_jsonl error naming the convert command
    dst = tmp_path / "examples.jsonl"
    code, _, err = run(capsys, "convert", str(src), str(dst))
    assert code == 0, err
    lines = dst.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and "yardımcı" in lines[0]
    code, out, _ = run(capsys, "validate", str(dst), "--json")
    data = json.loads(out)
    assert data["examples"] == 2
    assert [e["code"] for e in data["errors"]] == ["too_few_examples"]


def test_validate_and_convert_agree_on_a_byte_order_mark_inside_the_file(tmp_path, capsys) -> None:
    """Two files joined with `cat`, each saved with a byte-order mark: the second mark starts
    line 7. Both commands read that line without it and say so, naming it; neither drops it."""
    first = b"".join(orjson.dumps(chat(i)) + b"\n" for i in range(6))
    second = b"".join(orjson.dumps(chat(i)) + b"\n" for i in range(6, 60))
    joined = write(tmp_path / "joined.jsonl", [])
    joined.write_bytes(b"\xef\xbb\xbf" + first + b"\xef\xbb\xbf" + second)

    code, out, err = run(capsys, "validate", str(joined), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["examples"] == 60 and data["errors"] == []
    (mark,) = [w for w in data["warnings"] if w["code"] == "byte_order_mark"]
    assert mark["line"] == 7 and "byte-order mark" in mark["message"]

    dst = tmp_path / "clean.jsonl"
    code, out, err = run(capsys, "convert", str(joined), str(dst), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["examples"] == 60 and result["skipped"] == []
    ((line, column),) = [(w["line"], w["column"]) for w in result["warnings"]]
    assert (line, column) == (7, 1)
    assert b"\xef\xbb\xbf" not in dst.read_bytes()
    assert [orjson.loads(row) for row in dst.read_bytes().splitlines()] == [
        chat(i) for i in range(60)
    ]

    code, _, err = run(capsys, "convert", str(joined), str(dst), "--force")
    assert code == 0
    assert f"{joined}:7:1: " in err and "byte-order mark" in err


def test_a_file_of_the_same_mistake_lists_the_first_and_counts_the_rest(tmp_path, capsys) -> None:
    """1,200 `{}` lines: the text names how many more of each code there are, and --json lists
    the first 1,000 of each code and says how many it left out."""
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"{}\n" * 1200)
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert "1,200 errors, 1,199 warnings" in out
    assert "missing_messages_list (1,200) lines 1, 2, 3, 4, 5, 6, 7, 8\n" in out
    assert "… and 1,192 more missing_messages_list" in out
    assert "… and 1,191 more duplicate_example" in out
    code, out, _ = run(capsys, "validate", str(path), "--json")
    data = json.loads(out)
    assert len(data["errors"]) == 1000 and len(data["warnings"]) == 1000
    assert data["left_out"] == {
        "errors": {"missing_messages_list": 200},
        "warnings": {"duplicate_example": 199},
    }


# -- inputs that are not plain files --------------------------------------------------------

TUNER = "import sys; from tuner.cli import main; sys.exit(main(sys.argv[1:]))"


def tuner(*argv: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", TUNER, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def jsonl(rows: list[object]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in rows)


def test_dash_reads_standard_input(tmp_path, capsys, monkeypatch) -> None:
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(60)])
    with path.open("rb") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        code, out, err = run(capsys, "validate", "-", "--json")
    data = json.loads(out)
    assert code == 0, err
    assert (data["path"], data["examples"], data["valid"]) == ("stdin", 60, True)
    assert not list(Path(os.environ["TUNER_CACHE_DIR"]).glob("validate-*"))  # the copy is gone


def test_a_pipe_is_read_as_a_stream() -> None:
    result = tuner(
        "validate", "/dev/stdin", "--json", input=jsonl([chat(i) for i in range(60)]).decode()
    )
    data = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert (data["path"], data["examples"]) == ("/dev/stdin", 60)


def test_process_substitution_keeps_its_name() -> None:
    """`tuner validate <(cat train.jsonl)` hands over /dev/fd/N, a pipe."""
    read_end, write_end = os.pipe()
    data = jsonl([chat(i) for i in range(12)])
    writer = threading.Thread(target=lambda: (os.write(write_end, data), os.close(write_end)))
    writer.start()
    try:
        result = tuner("validate", f"/dev/fd/{read_end}", pass_fds=(read_end,))
    finally:
        writer.join()
        os.close(read_end)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"/dev/fd/{read_end}: OK — 12 examples")


def test_a_fifo_with_no_writer_is_refused_at_once(tmp_path) -> None:
    fifo = tmp_path / "train.jsonl"
    os.mkfifo(fifo)
    result = tuner("validate", str(fifo), timeout=30)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"tuner validate: {fifo}: a FIFO with no writer, so there is nothing to read; "
        "start the program that writes to it first\n"
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        ("directory", "is a directory, not a file"),
        ("loop", "symbolic link loop"),
        ("dangling", "a symbolic link to "),
        ("device", "is a character device, not a file"),
    ],
)
def test_what_the_path_is_is_said(tmp_path, capsys, make: str, reason: str) -> None:
    path = tmp_path / "train.jsonl"
    if make == "directory":
        path.mkdir()
    elif make == "loop":
        path.symlink_to(tmp_path / "other.jsonl")
        (tmp_path / "other.jsonl").symlink_to(path)
    elif make == "dangling":
        path.symlink_to(tmp_path / "gone.jsonl")
    else:
        path = Path("/dev/null")
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"tuner validate: {path}: {reason}") and err.count("\n") == 1
    assert "no such file" not in err or make == "dangling"


# -- lines that used to crash or mislead ----------------------------------------------------


@pytest.mark.parametrize("opener", [b'{"a":', b"["], ids=["object", "array"])
@pytest.mark.parametrize("line", [1, 2])
def test_deep_nesting_is_reported_on_any_line(tmp_path, capsys, opener: bytes, line: int) -> None:
    closer = b"}" if opener.startswith(b"{") else b"]"
    deep = opener * 4000 + (b"1" if closer == b"}" else b"") + closer * 4000
    rows = [orjson.dumps(chat(i)) for i in range(11)]
    rows.insert(line - 1, deep)
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b"\n".join(rows) + b"\n")
    code, out, err = run(capsys, "validate", str(path), "--json")
    assert code == 1 and "Traceback" not in err
    (problem,) = json.loads(out)["errors"]
    assert (problem["line"], problem["code"]) == (line, "invalid_json")
    assert "nested too deeply" in problem["message"]


def test_a_repeated_key_is_an_error_with_its_line(tmp_path, capsys) -> None:
    rows = [orjson.dumps(chat(i)) for i in range(12)]
    rows[2] = rows[2][:-1] + b', "messages": [{"role": "user", "content": "x"}]}'
    path = tmp_path / "dup.jsonl"
    path.write_bytes(b"\n".join(rows) + b"\n")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert (
        'line 3: the key "messages" appears twice in one object; the service would keep only '
        "the last"
    ) in out


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_is_one_whole_file_error(tmp_path, capsys, codec: str) -> None:
    text = b"".join(orjson.dumps(chat(i)) + b"\n" for i in range(20)).decode()
    data = text.encode(codec)
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"\xfe\xff" + data if codec == "utf-16-be" else data)
    code, out, _ = run(capsys, "validate", str(path), "--json")
    report = json.loads(out)
    assert code == 1 and report["warnings"] == []
    (problem,) = report["errors"]
    assert (problem["code"], problem["line"]) == ("wrong_encoding", None)
    assert "save it as UTF-8" in problem["message"]


_MEASURED = """
import resource, subprocess, sys, time
start = time.perf_counter()
child = subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]],
                       capture_output=True, text=True, timeout=120)
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(seconds, peak_mb, child.returncode)
print(child.stdout)
"""


@pytest.mark.parametrize("alphabet", ["base64", "one letter"])
def test_a_huge_line_without_spaces_is_checked_in_bounded_time(tmp_path, alphabet: str) -> None:
    """A 20 MB run of text with no spaces took minutes and gigabytes to tokenize; past the
    model's limit the exact count does not matter, so it is reported as over the limit."""
    if alphabet == "base64":
        text = "".join(
            random.Random(1).choices(string.ascii_letters + string.digits + "+/", k=20_000_000)
        )
    else:
        text = "a" * 20_000_000
    example = {
        "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]
    }
    path = tmp_path / "huge.jsonl"
    path.write_bytes(orjson.dumps(example) + b"\n")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(_MEASURED),
            TUNER,
            "validate",
            str(path),
            "--json",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
    ).stdout
    figures, report_text = out.split("\n", 1)
    seconds, peak_mb, code = figures.split()
    report = json.loads(report_text)
    assert code == "1"  # one example is too few; the line itself is only a warning
    (over,) = [w for w in report["warnings"] if w["code"] == "over_token_limit"]
    assert over["line"] == 1 and "more than 65,536 tokens" in over["message"]
    assert report["tokens"]["billed"] == 65_536
    assert float(seconds) < 30, seconds
    assert float(peak_mb) < 450, peak_mb


def test_a_retired_model_is_warned_about_with_its_date(tmp_path, capsys) -> None:
    """The data may be fine, but no job can be started on the model: say so, with the date."""
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(60)])
    code, out, _ = run(capsys, "validate", str(path), "--model", "gpt-3.5-turbo-0613")
    assert code == 0  # the file itself is valid
    assert "gpt-3.5-turbo-0613 was retired on 2024-06-13" in out
    assert "gpt-4o-mini-2024-07-18" in out.split("retired on 2024-06-13", 1)[1]
    code, out, _ = run(capsys, "validate", str(path), "--model", "gpt-3.5-turbo-0613", "--json")
    notices = json.loads(out)["notices"]
    assert any("retired on 2024-06-13" in notice for notice in notices)
    code, out, _ = run(capsys, "validate", str(path), "--json")  # the default model: current
    assert not any("retired" in notice for notice in json.loads(out)["notices"])


# -- --profile: the rules and models of the profile's service -------------------------------------

LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
LLAMA_ESTIMATE = "estimated with cl100k_base: tuner has no Llama 3 tokenizer offline"
PROFILES = """
[profiles.work]
kind = "openai"

[profiles.tg]
kind = "together"

[[profiles.tg.models]]
id = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
training_price_per_1m = 1.0
"""


def settings_file(text: str) -> Path:
    """settings.toml in the test's own config folder (conftest points TUNER_CONFIG_DIR there)."""
    path = Path(os.environ["TUNER_CONFIG_DIR"], "settings.toml")
    path.write_text(text, encoding="utf-8")
    return path


def test_an_openai_profile_applies_openais_rules(tmp_path, capsys) -> None:
    settings_file(PROFILES)
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(60)])
    code, out, err = run(capsys, "validate", str(path), "--profile", "work", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["service"], data["rules"], data["profile"]) == ("openai", "OpenAI rules", "work")
    assert data["model"] == "gpt-4o-mini-2024-07-18" and data["exact_tokens"] is True
    assert data["token_estimate"] is None


def test_a_together_profile_applies_togethers_rules_and_models(tmp_path, capsys) -> None:
    settings_file(PROFILES)
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    code, out, err = run(capsys, "validate", str(path), "--profile", "tg", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["service"], data["rules"], data["profile"]) == (
        "together",
        "Together AI rules",
        "tg",
    )
    assert data["model"] == LLAMA  # the catalog's default, not the settings' OpenAI default
    assert data["exact_tokens"] is False and data["token_estimate"] == LLAMA_ESTIMATE
    assert data["epochs"] == 1 and data["price_per_1m_usd"] == 1.0  # the profile's override
    assert data["errors"] == [] and data["tokens"]["example_limit"] == 131_072


def test_the_human_report_says_which_rules_and_that_counts_are_estimates(tmp_path, capsys) -> None:
    settings_file(PROFILES)
    rows: list[object] = [chat(i) for i in range(12)]
    rows.append({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]})
    path = write(tmp_path / "train.jsonl", rows)
    code, out, _ = run(capsys, "validate", str(path), "--profile", "tg")
    assert code == 1
    assert "checked against Together AI rules" in out
    assert f"Tokens ({LLAMA_ESTIMATE})" in out
    assert "invalid_turn_order (1) line 13" in out
    assert "(LoRA)" in out and "full fine-tuning at $0.54 per 1M tokens" in out


def test_instruction_files_pass_for_together_and_fail_for_openai(tmp_path, capsys) -> None:
    settings_file(PROFILES)
    rows = [{"prompt": f"Soru {i}?", "completion": f"Cevap {i}."} for i in range(12)]
    path = write(tmp_path / "train.jsonl", rows)
    code, out, _ = run(capsys, "validate", str(path), "--profile", "tg", "--json")
    data = json.loads(out)
    assert code == 0 and data["format"] == "instruction" and data["tokens"]["total"] > 0
    code, out, _ = run(capsys, "validate", str(path), "--profile", "work", "--json")
    assert code == 1
    assert {e["code"] for e in json.loads(out)["errors"]} >= {"missing_messages_list"}


def test_the_active_profile_applies_without_profile(tmp_path, capsys) -> None:
    settings_file('active_profile = "tg"\n' + PROFILES)
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    code, out, _ = run(capsys, "validate", str(path), "--json")
    data = json.loads(out)
    assert code == 0 and data["rules"] == "Together AI rules" and data["profile"] == "tg"
    code, out, _ = run(capsys, "validate", str(path), "--json", "--profile", "work")
    assert json.loads(out)["rules"] == "OpenAI rules"


def test_no_profile_means_openais_rules(tmp_path, capsys) -> None:
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    code, out, _ = run(capsys, "validate", str(path), "--json")
    data = json.loads(out)
    assert code == 0 and data["rules"] == "OpenAI rules" and data["profile"] is None
    assert [w["code"] for w in data["warnings"]] == ["few_examples"]  # OpenAI's advice


def test_an_unknown_profile_is_one_line_naming_the_profiles(tmp_path, capsys) -> None:
    settings_file(PROFILES)
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    code, out, err = run(capsys, "validate", str(path), "--profile", "prod")
    assert code == 2 and out == ""
    assert err == "tuner validate: no profile named 'prod'; profiles: tg, work\n"


def test_a_model_of_the_profiles_service(tmp_path, capsys) -> None:
    settings_file(PROFILES)
    path = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    args = (
        "validate",
        str(path),
        "--profile",
        "tg",
        "--json",
        "--model",
        "qwen/qwen2.5-7b-instruct",
    )
    code, out, _ = run(capsys, *args)
    data = json.loads(out)
    assert code == 0 and data["base_model"] == "Qwen/Qwen2.5-7B-Instruct"
    assert data["chat_template"] == "qwen2.5" and data["price_per_1m_usd"] == 0.48


def test_help_says_which_rules_apply(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--profile NAME" in out
    assert "the active profile's" in out and "OpenAI's rules when there is no profile" in out
