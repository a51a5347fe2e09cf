"""report.md: the scores table, the comparison and the worst examples, with outside text inert."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tuner.data.eval.examples import read_eval_file
from tuner.data.eval.graders import Score, grader_specs
from tuner.data.eval.report import md_cell, render_report
from tuner.data.eval.results import ExampleResult
from tuner.data.eval.summary import summarise

BASE, TUNED = "gpt-4o-mini@openai", "ft:gpt-4o-mini:acme::x|y@openai"
HOSTILE = "İyi | değil\n`rm -rf` *kalın* <script>alert(1)</script> [bağ](http://x) \x1b[2J &amp;"


def test_md_cell_makes_outside_text_inert_in_a_table() -> None:
    cell = md_cell(HOSTILE)
    assert "\n" not in cell and "\x1b" not in cell
    assert "|" not in cell.replace("\\|", "")
    assert "`" not in cell.replace("\\`", "")
    assert "<script>" not in cell and "\\<script\\>" in cell
    assert "\\[bağ\\](http://x)" in cell
    assert "&amp;amp;" in cell  # an entity stays the text it was
    assert "<br>" in cell and "␛" in cell


def test_md_cell_cuts_long_text() -> None:
    cell = md_cell("ş" * 1000, limit=50)
    assert cell == "ş" * 50 + "…"


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=100))
def test_no_text_can_break_out_of_its_cell(text: str) -> None:
    cell = md_cell(text)
    unescaped = cell.replace("\\\\", "").replace("\\|", "")
    assert "|" not in unescaped
    assert "\n" not in cell and "\r" not in cell


def tables(lines: list[str]) -> list[list[str]]:
    """The report's tables: runs of lines that start with '| '."""
    found: list[list[str]] = []
    previous = False
    for line in lines:
        row = line.startswith("| ")
        if row and not previous:
            found.append([])
        if row:
            found[-1].append(line)
        previous = row
    return found


def cells(row: str) -> int:
    return row.replace("\\\\", "").replace("\\|", "").count("|") - 1


def records() -> list[ExampleResult]:
    return [
        ExampleResult("k1", 1, BASE, "Ankara.", {"chrf": Score(1.0)}, latency=0.5, cost=0.002),
        ExampleResult("k1", 1, TUNED, HOSTILE, {"chrf": Score(0.1)}, latency=0.7),
        ExampleResult("k2", 2, BASE, "Bilmiyorum", {"chrf": Score(0.2)}, latency=0.4),
        ExampleResult("k2", 2, TUNED, None, error="500 | sunucu hatası"),
        ExampleResult("k3", 3, BASE, "İzmir", {"chrf": Score.missing("no reference")}),
        ExampleResult("k3", 3, TUNED, "İzmir", {"chrf": Score.missing("no reference")}),
    ]


def test_the_report_has_the_table_the_comparison_and_the_worst_examples(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"messages": [{"role": "user", "content": "Başkent | neresi?"}, '
        '{"role": "assistant", "content": "Ankara."}]}\n',
        encoding="utf-8",
    )
    (example,) = read_eval_file(path).examples
    records_ = [
        ExampleResult(example.ident, 1, r.model, r.reply, r.scores, r.error, latency=r.latency)
        if r.example == "k1"
        else r
        for r in records()
    ]
    summary = summarise(records_, grader_specs(["chrf"]))
    report = render_report(summary, records_, {example.ident: example}, title="Taşınma | testi")
    lines = report.splitlines()
    assert lines[0] == "# Taşınma \\| testi"
    assert "## Scores" in lines and "## Worst examples by chrf" in lines
    assert any(line.startswith("## Compared with gpt-4o-mini@openai") for line in lines)
    # Every row of every table has as many cells as its header: no text broke a row.
    for table in tables(lines):
        assert len({cells(row) for row in table}) == 1, table
    worst = tables(lines[lines.index("## Worst examples by chrf") :])[0][2:]
    # The failed example comes first, then the lowest score; the ungraded one last.
    assert [row.split(" | ")[0] for row in worst] == ["| 2", "| 1", "| 3"]
    assert "**failed**: 500 \\| sunucu hatası" in worst[0]
    assert "Başkent \\| neresi?" in worst[1] and "Ankara." in worst[1]
    assert "*no reference*" in worst[2]
    assert "<script>" not in report
    assert "1 not graded" in report


def test_a_single_model_report_has_no_comparison() -> None:
    single = [r for r in records() if r.model == BASE]
    summary = summarise(single, grader_specs(["chrf"]))
    report = render_report(summary, single)
    assert "Compared with" not in report
    assert "| line | gpt-4o-mini@openai |" in report  # no examples given: no prompt column
