"""Completion of a typed path: folders and eval files only, relative to the browser's folder."""

from __future__ import annotations

from pathlib import Path

from tuner.ui.widgets.path_suggester import PathSuggester


async def test_a_typed_path_is_completed_to_a_folder_then_a_jsonl(tmp_path: Path) -> None:
    (tmp_path / "support-eval").mkdir()
    (tmp_path / "support-eval" / "holdout.jsonl").write_text("{}\n")
    (tmp_path / "support-eval" / "notes.txt").write_text("x\n")
    (tmp_path / ".hidden").mkdir()
    suggest = PathSuggester(tmp_path).get_suggestion
    assert await suggest("supp") == "support-eval/"
    assert await suggest("support-eval") == "support-eval/"
    assert await suggest("support-eval/h") == "support-eval/holdout.jsonl"
    assert await suggest("support-eval/n") is None  # not an eval file
    assert await suggest("support-eval/holdout.jsonl") is None  # nothing to add
    assert await suggest(".h") == ".hidden/"
    assert await suggest("h") is None
    assert await suggest(str(tmp_path / "supp")) == str(tmp_path / "support-eval") + "/"
    assert await suggest("missing/x") is None  # a folder that is not there offers nothing
