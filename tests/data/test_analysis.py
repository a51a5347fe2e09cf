"""The whole pass over a file: problems in file order, tokens, the estimate, and parallel runs."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import tracemalloc
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from tests.helpers import wait_for
from tuner.data.analysis import pool, range_check
from tuner.data.analysis.analyse import analyse_file
from tuner.data.analysis.range_check import RangeTask, analyse_range, shared_counter
from tuner.data.analysis.report import AnalysisCancelled
from tuner.data.catalog.choice import default_catalog
from tuner.data.estimate import billed_tokens
from tuner.data.rules.problem_log import PROBLEMS_KEPT_PER_CODE
from tuner.data.rules.problems import DatasetFormat
from tuner.data.stats import TokenStats
from tuner.data.tokens.count import counter_for_model
from tuner.data.tokens.encodings import load_encoding

MODEL = "gpt-4o-mini-2024-07-18"


def chat(i: int, system: bool = True) -> dict:
    messages = [
        {"role": "user", "content": f"Soru {i}: İstanbul'da hava nasıl?"},
        {"role": "assistant", "content": f"Cevap {i}: güneşli ve ılık."},
    ]
    if system:
        messages.insert(0, {"role": "system", "content": "Kısa cevap ver."})
    return {"messages": messages}


def write_jsonl(path: Path, rows: list[object], extra: bytes = b"") -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows) + extra)
    return path


def expected_tokens(example: dict) -> int:
    enc = load_encoding("o200k_base")
    n = 3
    for message in example["messages"]:
        n += 3 + sum(len(enc.encode(v)) for v in message.values())
    return n


def test_a_clean_file_is_valid_with_exact_counts(tmp_path: Path) -> None:
    rows = [chat(i) for i in range(60)]
    report = analyse_file(write_jsonl(tmp_path / "train.jsonl", rows), MODEL)
    assert report.valid and report.problems == []
    assert report.format is DatasetFormat.CHAT
    assert report.examples == 60
    assert report.encoding == "o200k_base" and report.exact_tokens
    assert report.tokens_total == sum(expected_tokens(r) for r in rows)
    assert report.epochs == 3
    price = default_catalog().get(MODEL).training_price_per_1m
    expected_cost = Decimal(report.billed_tokens) * 3 * Decimal(str(price)) / 1_000_000
    assert report.estimate.cost_usd == expected_cost


def test_problems_carry_lines_and_file_level_rules_apply(tmp_path: Path) -> None:
    rows = [chat(i) for i in range(5)]
    path = write_jsonl(tmp_path / "bad.jsonl", rows, b'{"messages": [}\n\n' + orjson.dumps(rows[0]))
    report = analyse_file(path, MODEL)
    assert not report.valid
    codes = {(p.code, p.line) for p in report.problems}
    assert ("invalid_json", 6) in codes
    assert ("blank_line", 7) in codes
    assert ("duplicate_example", 8) in codes
    assert ("too_few_examples", None) in codes
    # file-level problems first, then by line
    lines = [p.line for p in report.problems]
    assert lines[0] is None
    assert [x for x in lines if x is not None] == sorted(x for x in lines if x is not None)


def test_json_array_gets_one_error_naming_convert(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(orjson.dumps([chat(i) for i in range(20)], option=orjson.OPT_INDENT_2).decode())
    report = analyse_file(path, MODEL)
    assert [p.code for p in report.problems] == ["not_jsonl"]
    assert "tuner convert" in report.problems[0].message


def test_parallel_and_serial_runs_agree(tmp_path: Path) -> None:
    rows: list[object] = [chat(i, system=i % 7 != 0) for i in range(400)]
    rows[123] = {"mesages": []}
    rows[300] = chat(5)  # duplicate of line 6, found across ranges
    path = write_jsonl(tmp_path / "train.jsonl", rows)
    serial = analyse_file(path, MODEL, workers=1, keep_examples=True)
    parallel = analyse_file(path, MODEL, workers=2, keep_examples=True)
    assert parallel.problems == serial.problems
    assert parallel.token_counts == serial.token_counts
    assert parallel.example_lines == serial.example_lines
    assert serial.marks is not None and parallel.marks is not None
    assert parallel.marks.lines == serial.marks.lines
    assert parallel.marks.errors == serial.marks.errors
    assert parallel.to_json() == serial.to_json()
    assert ("duplicate_example", 301) in {(p.code, p.line) for p in serial.problems}


def test_over_limit_examples_are_warned_and_billed_at_the_cap(tmp_path: Path) -> None:
    long = {"messages": [{"role": "user", "content": "kelime " * 5000}, chat(0)["messages"][-1]]}
    rows = [chat(i) for i in range(20)] + [long]
    report = analyse_file(write_jsonl(tmp_path / "t.jsonl", rows), "gpt-3.5-turbo-0613")
    assert report.example_token_limit == 4096
    assert report.over_limit == 1
    assert ("over_token_limit", 21) in {(p.code, p.line) for p in report.warnings}
    assert report.billed_tokens == report.tokens_total - report.stats.max + 4096


def test_unknown_limit_is_said_not_invented(tmp_path: Path) -> None:
    report = analyse_file(
        write_jsonl(tmp_path / "t.jsonl", [chat(i) for i in range(12)]), "gpt-4.1-2025-04-14"
    )
    assert report.example_token_limit is None
    assert any("limit" in n and "skipped" in n for n in report.notices)


def test_unknown_model_is_labelled_approximate(tmp_path: Path) -> None:
    report = analyse_file(
        write_jsonl(tmp_path / "t.jsonl", [chat(i) for i in range(12)]), "my-own-model"
    )
    assert not report.exact_tokens
    assert report.estimate.cost_usd is None
    assert len(report.notices) == 1


def test_reprice_matches_a_fresh_analysis(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [chat(i) for i in range(30)])
    report = analyse_file(path, MODEL)
    other = default_catalog().get("gpt-4o-2024-08-06")
    fresh = analyse_file(path, "gpt-4o-2024-08-06", epochs=5)
    assert report.reprice(other, 5) == fresh.estimate


def test_cancel_stops_without_a_partial_report(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [chat(i) for i in range(50)])
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(AnalysisCancelled):
        analyse_file(path, MODEL, cancel=cancel)


def test_cancel_stops_the_worker_processes_instead_of_waiting_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quitting on a big file must not wait for the ranges the workers are reading: they are
    ended (SIGTERM), not left to finish and exit by themselves."""
    monkeypatch.setattr(pool, "CHUNK_BYTES", 4096)  # many ranges: the file is still in flight
    path = write_jsonl(tmp_path / "t.jsonl", [chat(i) for i in range(2000)])
    before = set(multiprocessing.active_children())
    cancel = threading.Event()
    workers: list[multiprocessing.process.BaseProcess] = []

    def first_range_done(done: int, total: int) -> None:
        if not cancel.is_set():
            workers.extend(set(multiprocessing.active_children()) - before)
            cancel.set()

    with pytest.raises(AnalysisCancelled):
        analyse_file(path, MODEL, workers=2, progress=first_range_done, cancel=cancel)
    assert workers
    for worker in workers:
        # Not `join`: the pool's own thread reaps its workers too, and a join that loses that
        # race reads no exit code at all. The code is there once either has reaped it.
        wait_for(lambda worker=worker: worker.exitcode is not None)
        assert worker.exitcode == -signal.SIGTERM


def test_cancel_stops_a_range_read_in_the_callers_thread(tmp_path: Path) -> None:
    """A small file is read in the caller's thread, one range at a time: a cancel set while a
    range is read stops it within a few lines."""
    path = write_jsonl(tmp_path / "t.jsonl", [chat(i) for i in range(1000)])
    counter = counter_for_model(MODEL, default_catalog(), None)[0]
    cancel = threading.Event()
    cancel.set()
    with shared_counter(counter) as key:
        task = RangeTask(path, MODEL, default_catalog(), None, None, key)
        with pytest.raises(AnalysisCancelled):
            analyse_range(task, 0, path.stat().st_size, 1, cancel)


def test_progress_reaches_the_file_size(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [chat(i) for i in range(50)])
    seen: list[tuple[int, int]] = []
    analyse_file(path, MODEL, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    report = analyse_file(path, MODEL)
    assert [p.code for p in report.errors] == ["empty_file"]
    assert report.examples == 0 and report.stats.n == 0 and report.epochs == 0


def test_parallel_run_from_an_app_thread_with_captured_stderr(tmp_path: Path) -> None:
    """In the app, workers are spawned from a thread while Textual has replaced sys.stderr with
    a capture whose fileno() is -1; spawning used to fail ("bad value(s) in fds_to_keep").
    A fresh interpreter, so no resource tracker is running yet."""
    import subprocess
    import sys

    path = write_jsonl(tmp_path / "t.jsonl", [chat(i) for i in range(200)])
    code = f"""
import sys, threading
class Capture:
    def write(self, text): return len(text)
    def flush(self): pass
    def fileno(self): return -1
sys.stderr = Capture()
from tuner.data.analysis.analyse import analyse_file
result = {{}}
thread = threading.Thread(target=lambda: result.update(r=analyse_file({str(path)!r}, workers=2)))
thread.start(); thread.join()
print(result["r"].examples)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "200"


# -- what the dataset screen and the file browser's badge are told ----------------------------


@pytest.mark.parametrize("deep", [b'{"a":' * 3000 + b"1" + b"}" * 3000, b"[" * 3000 + b"]" * 3000])
def test_deep_nesting_on_the_first_line_is_one_problem(tmp_path: Path, deep: bytes) -> None:
    path = write_jsonl(tmp_path / "deep.jsonl", [chat(i) for i in range(12)])
    path.write_bytes(deep + b"\n" + path.read_bytes())
    report = analyse_file(path, MODEL)
    (problem,) = report.errors
    assert (problem.line, problem.code) == (1, "invalid_json")
    assert "nested too deeply" in problem.message
    assert report.examples == 13


def test_utf16_is_one_whole_file_problem(tmp_path: Path) -> None:
    text = b"".join(orjson.dumps(chat(i)) + b"\n" for i in range(30)).decode()
    path = tmp_path / "train.jsonl"
    path.write_bytes(text.encode("utf-16"))
    report = analyse_file(path, MODEL)
    (problem,) = report.problems
    assert (problem.code, problem.line, problem.is_error) == ("wrong_encoding", None, True)
    assert problem.message.startswith("train.jsonl is encoded as UTF-16 (little-endian)")


def test_a_repeated_key_is_a_problem_of_its_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "dup.jsonl", [chat(i) for i in range(12)])
    lines = path.read_bytes().splitlines()
    lines[4] = lines[4][:-1] + b', "messages": []}'
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = analyse_file(path, MODEL)
    duplicate = [p for p in report.errors if p.code == "duplicate_key"]
    assert [p.located() for p in duplicate] == [
        'line 5: the key "messages" appears twice in one object; the service would keep '
        "only the last"
    ]


def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "train.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO"):
        analyse_file(fifo, MODEL)


def test_a_copy_is_reported_under_the_name_given(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "validate-123.jsonl", [chat(i) for i in range(3)])
    report = analyse_file(path, MODEL, shown_as="/dev/fd/63")
    assert report.path == Path("/dev/fd/63")
    (few,) = [p for p in report.problems if p.code == "too_few_examples"]
    assert few.message.startswith("63 has 3 examples")


def test_an_example_past_an_unknown_limit_is_counted_to_a_cap(tmp_path: Path) -> None:
    example = {"messages": [{"role": "user", "content": "b" * 20_000_000}, *chat(0)["messages"]]}
    path = write_jsonl(tmp_path / "huge.jsonl", [example])
    report = analyse_file(path, "gpt-4.1-2025-04-14")
    (huge,) = [p for p in report.warnings if p.code == "huge_example"]
    assert "a lower bound" in huge.message
    assert any("lower bounds" in notice for notice in report.notices)


# -- the service the file is for ---------------------------------------------------------------

LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
ESTIMATE = "estimated with cl100k_base: tuner has no Llama 3 tokenizer offline"


def test_a_together_file_is_checked_counted_and_priced_as_together(tmp_path: Path) -> None:
    rows = [chat(i) for i in range(12)]
    report = analyse_file(write_jsonl(tmp_path / "t.jsonl", rows), service="together")
    assert report.valid and report.problems == []  # 12 examples are plenty for Together
    assert report.service == "together" and report.rules == "Together AI rules"
    assert report.model == LLAMA and report.encoding == "cl100k_base"
    assert not report.exact_tokens and report.token_note == ESTIMATE
    assert report.tokens_label == ESTIMATE and report.chat_template == "llama3"
    assert report.epochs == 1  # Together's n_epochs default
    assert report.example_token_limit == 131_072
    assert report.estimate.price_per_1m == Decimal("0.48")
    assert f"token counts are {ESTIMATE}" in report.notices
    assert any("as published by Together in 2025-11" in n for n in report.notices)
    data = report.to_json()
    assert (data["service"], data["rules"]) == ("together", "Together AI rules")
    assert data["token_estimate"] == ESTIMATE and data["exact_tokens"] is False
    assert data["chat_template"] == "llama3"


def test_the_service_follows_the_catalog(tmp_path: Path) -> None:
    rows = [{"prompt": f"{i}?", "completion": "ok"} for i in range(3)]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    report = analyse_file(path, catalog=default_catalog("together"))
    assert report.service == "together" and report.valid
    assert report.format is DatasetFormat.INSTRUCTION
    openai = analyse_file(path)
    assert openai.service == "openai" and openai.rules == "OpenAI rules" and not openai.valid
    assert openai.token_note is None and openai.to_json()["token_estimate"] is None


def test_instruction_and_text_examples_are_counted(tmp_path: Path) -> None:
    enc = load_encoding("cl100k_base")
    prompts = [{"prompt": f"Soru {i}?", "completion": f"Cevap {i}."} for i in range(5)]
    report = analyse_file(
        write_jsonl(tmp_path / "i.jsonl", prompts), service="together", keep_examples=True
    )
    overhead = 2  # Llama 3's start- and end-of-text tokens
    expected = [
        overhead + len(enc.encode_ordinary(r["prompt"])) + len(enc.encode_ordinary(r["completion"]))
        for r in prompts
    ]
    assert list(report.token_counts) == expected
    assert report.assistant_tokens == sum(
        len(enc.encode_ordinary(r["completion"])) for r in prompts
    )
    texts = [{"text": f"Bir varmış bir yokmuş {i}."} for i in range(5)]
    plain = analyse_file(
        write_jsonl(tmp_path / "p.jsonl", texts), service="together", keep_examples=True
    )
    assert plain.format is DatasetFormat.TEXT and plain.valid
    assert list(plain.token_counts) == [
        overhead + len(enc.encode_ordinary(r["text"])) for r in texts
    ]


def test_a_limit_the_service_reported_replaces_the_catalogs(tmp_path: Path) -> None:
    long = {"messages": [{"role": "user", "content": "kelime " * 600}, chat(0)["messages"][-1]]}
    path = write_jsonl(tmp_path / "t.jsonl", [chat(1), long])
    report = analyse_file(path, service="together", example_token_limit=512)
    assert report.example_token_limit == 512 and report.over_limit == 1
    assert ("over_token_limit", 2) in {(p.code, p.line) for p in report.warnings}
    assert report.billed_tokens == report.tokens_total - report.stats.max + 512
    openai = analyse_file(path, MODEL, example_token_limit=512)
    assert openai.example_token_limit == 512 and openai.over_limit == 1


def test_preference_files_take_the_dpo_limit_and_price(tmp_path: Path) -> None:
    def pair(i: int, words: int = 3) -> dict:
        return {
            "input": {"messages": [{"role": "user", "content": f"Soru {i}"}]},
            "preferred_output": [{"role": "assistant", "content": "evet " * words}],
            "non_preferred_output": [{"role": "assistant", "content": "hayır"}],
        }

    path = write_jsonl(tmp_path / "dpo.jsonl", [pair(1), pair(2, 10_000)])
    report = analyse_file(path, service="together")
    assert report.format is DatasetFormat.PREFERENCE
    assert report.example_token_limit == 16_384 and report.over_limit == 1
    assert report.estimate.price_per_1m == Decimal("1.2")
    told = analyse_file(path, service="together", preference_token_limit=30_000)
    assert told.example_token_limit == 30_000 and told.over_limit == 0
    full = analyse_file(path, service="together", full=True)
    assert full.estimate.price_per_1m == Decimal("1.35") and full.full
    assert report.reprice(report.resolution.info, 1, full=True) == full.estimate


def test_full_fine_tuning_of_a_lora_only_model_is_said(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [chat(i) for i in range(3)])
    report = analyse_file(path, "Qwen/Qwen2.5-7B-Instruct", service="together", full=True)
    assert report.estimate.cost_usd is None
    assert any("no full fine-tuning" in n and "LoRA only" in n for n in report.notices)


def test_together_parallel_and_serial_runs_agree(tmp_path: Path) -> None:
    rows: list[object] = [chat(i, system=i % 5 != 0) for i in range(300)]
    rows[40] = {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    serial = analyse_file(path, service="together", workers=1)
    parallel = analyse_file(path, service="together", workers=2)
    assert parallel.to_json() == serial.to_json()
    assert ("invalid_turn_order", 41) in {(p.code, p.line) for p in serial.errors}


def test_an_unknown_service_is_refused_before_reading(tmp_path: Path) -> None:
    from tuner.data.service_kinds import UnknownService

    with pytest.raises(UnknownService):
        analyse_file(tmp_path / "missing.jsonl", service="mistral")


# -- bounded whatever the input ----------------------------------------------------------------


def test_findings_are_kept_to_a_bound_per_code_and_the_rest_counted(tmp_path: Path) -> None:
    """1,500 `{}` lines: 1,500 errors and 1,499 duplicates, of which the first 1,000 of each
    code are listed and the rest counted; serial and parallel runs agree."""
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"{}\n" * 1500)
    serial = analyse_file(path, MODEL, workers=1)
    parallel = analyse_file(path, MODEL, workers=2)
    for report in (serial, parallel):
        codes = [p.code for p in report.problems]
        assert codes.count("missing_messages_list") == PROBLEMS_KEPT_PER_CODE
        assert codes.count("duplicate_example") == PROBLEMS_KEPT_PER_CODE
        listed = [p.line for p in report.problems if p.code == "missing_messages_list"]
        assert listed == list(range(1, 1001))  # the first ones, in file order
        assert report.error_count == 1500 and report.warning_count == 1499
        assert report.problems_left_out() == {
            "missing_messages_list": 500,
            "duplicate_example": 499,
        }
        assert not report.valid and report.examples == 1500
        assert any("the rest counted" in notice for notice in report.notices)
    assert parallel.to_json() == serial.to_json()
    assert serial.to_json()["left_out"] == {
        "errors": {"missing_messages_list": 500},
        "warnings": {"duplicate_example": 499},
    }


def test_marks_cover_every_line_with_a_finding_when_examples_are_kept(tmp_path: Path) -> None:
    """A screen listing every line marks lines past the findings listed per code too."""
    rows = [chat(i, system=False) for i in range(1200)]
    rows[1100] = {"messages": "nope"}
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    report = analyse_file(path, MODEL, keep_examples=True)
    _, marks, _ = report.problems_by_line()
    assert report.count_of("missing_system_message") == 1199
    assert len(report.problems) < 1200
    assert len(marks) == 1200
    assert marks.get(1150) is False and marks.get(1101) is True
    assert len(report.token_counts) == 1200


def test_the_token_table_gives_the_figures_the_full_list_gives(tmp_path: Path) -> None:
    rows = [chat(i) for i in range(300)] + [chat(i % 7) for i in range(200)]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    report = analyse_file(path, MODEL, keep_examples=True)
    full = TokenStats.from_counts(report.token_counts)
    assert report.stats == full
    assert report.stats.histogram(9) == full.histogram(9)
    assert report.stats.distinct < 300  # far fewer entries than examples
    other = default_catalog().resolve("gpt-4o-2024-08-06").info
    assert report.reprice(other, 2).billed_tokens == billed_tokens(report.token_counts, 65_536)


def test_a_line_past_the_window_is_measured_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line longer than tuner reads of one line is named with its size and never held:
    with a 1 MB window, checking a file with a 48 MB line allocates a few MB, not 48."""
    monkeypatch.setattr(range_check, "LINE_WINDOW_MARGIN", 1 << 20)
    monkeypatch.setattr(range_check, "LINE_BYTES_PER_TOKEN", 0)
    path = tmp_path / "long.jsonl"
    with path.open("wb") as f:
        f.write(orjson.dumps(chat(0)) + b"\n")
        f.write(b'{"messages": "' + b"x" * (48 << 20) + b'"}\r\n')
        f.write(orjson.dumps(chat(1)) + b"\n")
    tracemalloc.start()
    try:
        report = analyse_file(path, MODEL, workers=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MB allocated"
    (long,) = [p for p in report.errors if p.code == "line_too_long"]
    assert long.line == 2 and "the line is 50 MB" in long.message and "1.0 MB" in long.message
    assert report.examples == 3
    assert [p.line for p in report.problems if p.line == 3] == []  # the next line is fine


def test_repeated_short_lines_give_what_checking_each_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short line identical to an earlier one takes its findings, hash and tokens: every
    figure and finding is the one checking each line gives."""
    rows: list[object] = []
    for i in range(60):
        rows += [chat(i % 4), {"messages": []}, {}, chat(i % 4, system=False), [1]]
    path = write_jsonl(tmp_path / "r.jsonl", rows, extra=b"\n  \n{\n")
    remembered = analyse_file(path, MODEL, keep_examples=True)
    monkeypatch.setattr(range_check, "REPEAT_MAX_BYTES", -1)
    checked = analyse_file(path, MODEL, keep_examples=True)
    assert remembered.problems == checked.problems
    assert remembered.to_json() == checked.to_json()
    assert remembered.token_counts == checked.token_counts
    assert remembered.marks is not None and checked.marks is not None
    assert remembered.marks.lines == checked.marks.lines
    assert remembered.marks.errors == checked.marks.errors
