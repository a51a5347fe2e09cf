"""Grader specs from the command line and the offline scores, Turkish included."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuner.data.eval.graders import (
    DEFAULT_PASS,
    GraderKind,
    GraderSpec,
    GraderUsageError,
    Score,
    cosine,
    grade_all,
    grader_specs,
    parse_grader,
    parse_pass,
    score_bleu,
    score_chrf,
    score_contains,
    score_exact,
    score_fuzzy,
    score_json,
    score_offline,
    score_rouge_l,
)

REFERENCE_TR = "Kargonuz yarın öğleden sonra teslim edilecektir."
CLOSE_TR = "Kargonuz yarın öğleden sonra teslim edilecek."
FAR_TR = "Hava bugün çok güzel, parka gidelim mi?"


# -- the command line ---------------------------------------------------------------------------


def test_every_named_grader_parses_with_its_default_threshold() -> None:
    for kind in GraderKind:
        if kind is GraderKind.REGEX:
            continue
        spec = parse_grader(kind.value)
        assert spec == GraderSpec(kind, DEFAULT_PASS[kind])
        assert spec.name == kind.value


def test_a_regex_grader_keeps_its_pattern_colons_included() -> None:
    spec = parse_grader("regex:^(evet|hayır)$")
    assert spec.kind is GraderKind.REGEX and spec.pattern == "^(evet|hayır)$"
    assert spec.name == "regex:^(evet|hayır)$"
    assert parse_grader("regex:a:b").pattern == "a:b"
    assert not spec.needs_reference


def test_a_bad_pattern_is_a_usage_error_with_the_reason() -> None:
    with pytest.raises(GraderUsageError, match=r"regex:\(abc is not a valid pattern: missing \)"):
        parse_grader("regex:(abc")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("blue", "unknown grader 'blue'"),
        ("regex:", "regex needs a pattern"),
        ("chrf:3", "takes no ':' argument"),
        ("bleu2:x", "unknown grader"),
    ],
)
def test_bad_grader_names_say_what_is_known(text: str, message: str) -> None:
    with pytest.raises(GraderUsageError, match=message):
        parse_grader(text)


def test_the_default_graders_are_chrf_and_fuzzy_plus_the_judge_when_named() -> None:
    assert [s.name for s in grader_specs([])] == ["chrf", "fuzzy"]
    assert [s.name for s in grader_specs([], judge=True)] == ["chrf", "fuzzy", "judge"]


def test_pass_thresholds_apply_to_the_named_grader() -> None:
    specs = grader_specs(["exact", "fuzzy", "regex:a=b"], ["fuzzy=0.9", "regex:a=b=0.5"])
    by_name = {s.name: s.threshold for s in specs}
    assert by_name == {"exact": 1.0, "fuzzy": 0.9, "regex:a=b": 0.5}


def test_a_grader_named_twice_counts_once() -> None:
    assert [s.name for s in grader_specs(["chrf", "chrf", "bleu"])] == ["chrf", "bleu"]


@pytest.mark.parametrize(
    ("graders", "passes", "message"),
    [
        (["chrf"], ["bleu=0.5"], "'bleu' is not a grader of this run"),
        (["chrf"], ["chrf"], "is not GRADER=THRESHOLD"),
        (["chrf"], ["chrf=high"], "'high' is not a number"),
        (["chrf"], ["chrf=1.5"], "within 0..1"),
        (["judge"], [], "needs a judge model"),
        (["pairwise"], [], "needs a judge model"),
    ],
)
def test_bad_pass_thresholds_and_judgeless_judges_are_usage_errors(
    graders: list[str], passes: list[str], message: str
) -> None:
    with pytest.raises(GraderUsageError, match=message):
        grader_specs(graders, passes)


def test_parse_pass_names_the_grader() -> None:
    assert parse_pass("rouge_l=0.25") == ("rouge_l", 0.25)


# -- the offline scores -------------------------------------------------------------------------


def test_exact_trims_the_ends_only() -> None:
    assert score_exact("  Evet.\n", "Evet.") == 1.0
    assert score_exact("evet.", "Evet.") == 0.0


def test_contains_is_case_folded_with_turkish_capitals() -> None:
    assert score_contains("Cevap: İSTANBUL'da", "istanbul") == 1.0
    assert score_contains("IŞIK yandı", "ışık") == 1.0
    assert score_contains("Başkent ANKARA'dır.", "ankara") == 1.0
    assert score_contains("Başkent İzmir değil.", "ankara") == 0.0


def test_fuzzy_and_rouge_fold_turkish_capitals_too() -> None:
    assert score_fuzzy("İSTANBUL IŞIKLARI", "istanbul ışıkları") == 1.0
    assert score_rouge_l("İSTANBUL IŞIKLARI", "istanbul ışıkları") == 1.0


def test_regex_matches_anywhere_and_needs_no_reference() -> None:
    spec = parse_grader(r"regex:\b\d{5}\b")
    assert score_offline(spec, "Posta kodu 34000.", None) == Score(1.0)
    assert score_offline(spec, "Bilmiyorum.", None) == Score(0.0)


def test_json_equal_scores_one_whatever_the_key_order_and_fence() -> None:
    reference = '{"ad": "Ayşe", "yaş": 30}'
    assert score_json('{"yaş": 30.0, "ad": "Ayşe"}', reference) == Score(1.0)
    assert score_json('```json\n{"ad": "Ayşe", "yaş": 30}\n```', reference) == Score(1.0)


def test_json_gives_partial_credit_by_the_references_keys() -> None:
    reference = '{"ad": "Ayşe", "yaş": 30, "şehir": "İzmir", "aktif": true}'
    reply = '{"ad": "Ayşe", "yaş": 31, "şehir": "İzmir", "aktif": 1, "ek": "x"}'
    # ad and şehir match; yaş differs; aktif true is not 1; the extra key costs nothing.
    assert score_json(reply, reference) == Score(0.5)


def test_json_that_does_not_parse_scores_zero_and_a_bad_reference_is_not_graded() -> None:
    assert score_json("Elbette! İşte JSON:", '{"a": 1}') == Score(0.0)
    assert score_json("[1, 2]", '{"a": 1}') == Score(0.0)
    assert score_json("[1, 2]", "[1, 2]") == Score(1.0)
    assert score_json("[2, 1]", "[1, 2]") == Score(0.0)
    missing = score_json('{"a": 1}', "not json")
    assert missing.value is None and missing.why == "the reference is not JSON"


def test_fuzzy_chrf_and_rouge_rank_a_close_turkish_reply_above_an_unrelated_one() -> None:
    for score in (score_fuzzy, score_chrf, score_rouge_l, score_bleu):
        close, far = score(CLOSE_TR, REFERENCE_TR), score(FAR_TR, REFERENCE_TR)
        assert 0 <= far < close <= 1, score.__name__
        assert score(REFERENCE_TR, REFERENCE_TR) == pytest.approx(1.0), score.__name__


def test_chrf_credits_turkish_suffixes_that_bleu_misses() -> None:
    reference = "Kitaplarımızı evimizde okuyoruz."
    reply = "Kitaplarımızı evlerimizde okuyorduk."
    assert score_chrf(reply, reference) > 0.5
    assert score_chrf(reply, reference) > score_bleu(reply, reference) + 0.2


def test_fuzzy_ignores_case_and_spacing() -> None:
    assert score_fuzzy("MERHABA   dünya", "merhaba dünya") == 1.0


def test_rouge_l_is_the_f1_of_the_longest_common_word_subsequence() -> None:
    # LCS of "a b c d" and "a c d e f" is "a c d": precision 3/4, recall 3/5, F1 2/3.
    assert score_rouge_l("a b c d", "a c d e f") == pytest.approx(2 / 3)
    assert score_rouge_l("", "") == 1.0
    assert score_rouge_l("", "bir şey") == 0.0
    assert score_rouge_l("x y", "bir şey") == 0.0


def test_offline_scores_need_a_reference() -> None:
    score = score_offline(parse_grader("chrf"), "Merhaba", None)
    assert score.value is None and score.why == "no reference"


def test_service_graders_are_not_scored_offline() -> None:
    with pytest.raises(ValueError, match="needs a service"):
        score_offline(parse_grader("judge"), "a", "b")
    assert set(grade_all(grader_specs(["chrf", "cosine"]), "a", "a")) == {"chrf"}


texts = st.text(max_size=80)


@settings(max_examples=80, deadline=None)
@given(texts, texts)
def test_every_offline_score_is_within_0_and_1(reply: str, reference: str) -> None:
    for name in ("exact", "contains", "fuzzy", "bleu", "chrf", "rouge_l", "json", "regex:ş+"):
        score = score_offline(parse_grader(name), reply, reference)
        assert score.value is None or 0 <= score.value <= 1, name


# -- cosine -------------------------------------------------------------------------------------


def test_cosine_of_vectors() -> None:
    assert cosine([1.0, 0.0], [2.0, 0.0]) == pytest.approx(1.0)
    assert cosine([1.0, 0.0], [0.0, 3.0]) == pytest.approx(0.0)
    assert cosine([1.0, 1.0], [1.0, 0.0]) == pytest.approx(0.7071, abs=1e-4)
    assert cosine([1.0, 0.0], [-1.0, 0.0]) == 0.0  # opposed counts as nothing in common


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [([1.0], [1.0, 2.0], "differ in length"), ([], [], "empty"), ([0.0, 0.0], [1.0, 0.0], "zeros")],
)
def test_cosine_refuses_vectors_it_cannot_compare(a: list, b: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cosine(a, b)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=3),
    st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=3),
)
def test_cosine_is_within_0_and_1(a: list[float], b: list[float]) -> None:
    try:
        value = cosine(a, b)
    except ValueError:
        return
    assert 0 <= value <= 1


def test_scores_round_trip_through_json() -> None:
    for score in (Score(0.25), Score.missing("judge failed: no JSON")):
        assert Score.from_json(score.as_json()) == score
    assert Score.from_json(None) == Score(None, "not graded")
