"""Text fitted to a width ends at a whole word or part; a path loses its middle, not its name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuner.data.fit_text import cell_width, fit_words, short_path, short_paths

STATUS = "! 1 warning · $0.03 (gpt-4o-mini-2024-07-18, 8 epochs) · valid.jsonl · 12 lines"


def test_what_fits_is_left_alone() -> None:
    assert fit_words(STATUS, 200) == STATUS
    assert fit_words("", 0) == ""


@pytest.mark.parametrize("width", range(4, len(STATUS)))
def test_a_status_line_ends_at_a_whole_part_or_word(width: int) -> None:
    fitted = fit_words(STATUS, width)
    assert cell_width(fitted) <= width
    assert fitted.endswith(" …")  # the last word shown is whole, and says so
    kept = fitted.removesuffix(" …")
    assert STATUS.startswith(kept)
    assert STATUS[len(kept)] in " ,"  # a space or a word's comma came next: no word was cut


def test_whole_parts_go_first() -> None:
    assert (
        fit_words(STATUS, 70)
        == "! 1 warning · $0.03 (gpt-4o-mini-2024-07-18, 8 epochs) · valid.jsonl …"
    )
    assert fit_words(STATUS, 40) == "! 1 warning · $0.03 …"


def test_a_model_id_is_cut_after_one_of_its_parts() -> None:
    model = "Meta-Llama-3.1-8B-Instruct-Reference"
    assert fit_words(model, 17) == "Meta-Llama-3.1…"
    assert fit_words(model, 12) == "Meta-Llama…"
    assert fit_words("abcdefghij", 5) == "abcd…"  # one word, no part to end at


def test_wide_characters_count_two_cells() -> None:
    fitted = fit_words("Ürün bulunamazsa 日本語 yerine başka", 14)
    assert cell_width(fitted) <= 14 and fitted == "Ürün …"


def test_a_path_keeps_its_start_and_its_file_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/ayse")
    secrets = "/home/ayse/.config/tuner/secrets.toml"
    assert short_path(secrets, 60) == "~/.config/tuner/secrets.toml"
    assert short_path(secrets, 24) == "~/.config/…/secrets.toml"
    assert short_path(Path("/srv/data/2026/kasim/support/train.jsonl"), 30) == (
        "/srv/…/support/train.jsonl"
    )
    long_name = "/srv/" + "x" * 50 + "/a-very-long-training-file-name.jsonl"
    assert short_path(long_name, 30).endswith("/a-very-long-training-file-name.jsonl")


def test_paths_in_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/ayse")
    message = (
        "/home/ayse/.config/tuner/deep/er/still/settings.toml: profile 'x': kind must be one "
        "of openai, azure, together"
    )
    assert short_paths(message, 30) == (
        "~/.config/…/settings.toml: profile 'x': kind must be one of openai, azure, together"
    )
    assert short_paths("no path here: 1/2 a/b") == "no path here: 1/2 a/b"
