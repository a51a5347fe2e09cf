"""`tuner validate` and `tuner convert` as scripts see them: exit codes, JSON shape, messages."""

from __future__ import annotations

import json
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
