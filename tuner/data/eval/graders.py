"""Graders: what `--grader` and `--pass` mean, and every score that needs no service.

Each grader scores one reply in 0..1 and passes it at a threshold (score >= threshold). Names
follow OpenAI's former Evals where it had one. The offline graders:

| grader          | score                                                          | pass at |
| --------------- | -------------------------------------------------------------- | ------- |
| `exact`         | 1 when reply and reference are equal after trimming the ends   | 1.0     |
| `contains`      | 1 when the reply contains the reference, both case-folded      | 1.0     |
| `regex:PATTERN` | 1 when PATTERN matches somewhere in the reply (no reference)   | 1.0     |
| `json`          | see `score_json`: equal JSON 1, else a share of the keys       | 1.0     |
| `fuzzy`         | rapidfuzz's ratio of the two texts, case-folded, spaces joined | 0.8     |
| `bleu`          | sacrebleu's sentence BLEU / 100 (effective order)              | 0.3     |
| `chrf`          | sacrebleu's sentence chrF / 100 (character 6-grams, beta 2)    | 0.5     |
| `rouge_l`       | F1 of the longest common word subsequence (rapidfuzz LCSseq)   | 0.5     |

and those that need a service, for which this module gives the pure parts:

| grader     | score                                                               | pass at |
| ---------- | ------------------------------------------------------------------- | ------- |
| `cosine`   | cosine of the reply's and the reference's embeddings, below 0 as 0  | 0.8     |
| `judge`    | a model's 1..10 rating against the reference, as (rating - 1) / 9   | 0.667   |
| `pairwise` | vs the first model, judged in both orders: win 1, tie 0.5, loss 0   | 0.5     |

chrF compares character n-grams, so it credits a Turkish reply that has the right stems with
other suffixes ("evlerimizde" for "evimizde"); BLEU's whole-word n-grams give it nothing. Where
case does not count (contains, fuzzy, rouge_l), Turkish capitals fold as a reader expects:
"İSTANBUL" matches "istanbul" and "IŞIK" matches "ışık" (`fold_case`).

A score is None (not 0) when the example could not be graded, with the reason: no reference,
a reference that is not JSON, a judge that did not answer in the expected form. Means and pass
rates count only graded examples, so a broken judge never looks like a bad model.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any


class GraderKind(StrEnum):
    EXACT = "exact"
    CONTAINS = "contains"
    REGEX = "regex"
    JSON = "json"
    FUZZY = "fuzzy"
    BLEU = "bleu"
    CHRF = "chrf"
    ROUGE_L = "rouge_l"
    COSINE = "cosine"
    JUDGE = "judge"
    PAIRWISE = "pairwise"


# Score >= threshold passes. The judge's 0.667 is a rating of 7 of 10: (7 - 1) / 9.
DEFAULT_PASS: Mapping[GraderKind, float] = {
    GraderKind.EXACT: 1.0,
    GraderKind.CONTAINS: 1.0,
    GraderKind.REGEX: 1.0,
    GraderKind.JSON: 1.0,
    GraderKind.FUZZY: 0.8,
    GraderKind.BLEU: 0.3,
    GraderKind.CHRF: 0.5,
    GraderKind.ROUGE_L: 0.5,
    GraderKind.COSINE: 0.8,
    GraderKind.JUDGE: round(6 / 9, 3),
    GraderKind.PAIRWISE: 0.5,
}
# Graders scored here, with no service.
OFFLINE: frozenset[GraderKind] = frozenset(
    {
        GraderKind.EXACT,
        GraderKind.CONTAINS,
        GraderKind.REGEX,
        GraderKind.JSON,
        GraderKind.FUZZY,
        GraderKind.BLEU,
        GraderKind.CHRF,
        GraderKind.ROUGE_L,
    }
)
# With no --grader: the free offline pair, and the judge when one is named.
DEFAULT_GRADERS = (GraderKind.CHRF, GraderKind.FUZZY)


class GraderUsageError(ValueError):
    """A `--grader` or `--pass` the command cannot use; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class GraderSpec:
    """One grader as the command line chose it: its kind, its pattern (`regex:` only) and the
    threshold at which a score passes."""

    kind: GraderKind
    threshold: float
    pattern: str | None = None

    @property
    def name(self) -> str:
        """The grader's name in results and reports: `chrf`, `regex:^\\d+$`."""
        return f"regex:{self.pattern}" if self.kind is GraderKind.REGEX else str(self.kind)

    @property
    def offline(self) -> bool:
        """True when `score_offline` scores it; False for cosine, judge and pairwise."""
        return self.kind in OFFLINE

    @property
    def needs_reference(self) -> bool:
        """Whether an example without a reference can be graded at all."""
        return self.kind not in (GraderKind.REGEX, GraderKind.PAIRWISE)

    def passed(self, score: float) -> bool:
        return score >= self.threshold


@dataclass(frozen=True, slots=True)
class Score:
    """A grader's score in 0..1, or None with `why` it is missing (no reference, judge failed)."""

    value: float | None
    why: str | None = None

    @classmethod
    def missing(cls, why: str) -> Score:
        return cls(None, why)

    def as_json(self) -> float | dict[str, str]:
        """The form in results.jsonl: the number, or `{"why": ...}` when there is none."""
        return self.value if self.value is not None else {"why": self.why or "not graded"}

    @classmethod
    def from_json(cls, value: Any) -> Score:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(float(value))
        why = value.get("why") if isinstance(value, dict) else None
        return cls(None, why if isinstance(why, str) else "not graded")


# -- the command line --------------------------------------------------------------------------


def parse_grader(text: str) -> GraderSpec:
    """One `--grader` value as a spec with its default threshold.

    Raises `GraderUsageError` for an unknown name, an empty pattern, or a pattern that is not a
    valid regular expression (with Python's reason and where).
    """
    name, colon, pattern = text.partition(":")
    name = name.strip().lower()
    if name == "regex" or (colon and name not in GraderKind._value2member_map_):
        if name != "regex":
            raise GraderUsageError(f"unknown grader '{text}'; {_known()}")
        if not pattern:
            raise GraderUsageError("regex needs a pattern: --grader 'regex:PATTERN'")
        _compile(pattern)
        return GraderSpec(GraderKind.REGEX, DEFAULT_PASS[GraderKind.REGEX], pattern)
    if colon:
        raise GraderUsageError(f"grader '{name}' takes no ':' argument")
    try:
        kind = GraderKind(name)
    except ValueError:
        raise GraderUsageError(f"unknown grader '{text}'; {_known()}") from None
    return GraderSpec(kind, DEFAULT_PASS[kind])


def parse_pass(text: str) -> tuple[str, float]:
    """One `--pass G=X` value: the grader's name and a threshold in 0..1."""
    name, equals, number = text.rpartition("=")
    if not equals or not name:
        raise GraderUsageError(f"--pass '{text}' is not GRADER=THRESHOLD (e.g. --pass chrf=0.6)")
    try:
        threshold = float(number)
    except ValueError:
        raise GraderUsageError(f"--pass '{text}': '{number}' is not a number") from None
    if not 0 <= threshold <= 1:
        raise GraderUsageError(f"--pass '{text}': a threshold is within 0..1")
    spec = parse_grader(name)
    return spec.name, threshold


def grader_specs(
    graders: Sequence[str], passes: Sequence[str] = (), *, judge: bool = False
) -> tuple[GraderSpec, ...]:
    """The graders of a run, in the order given, with `--pass` thresholds applied.

    With no `graders`: chrf and fuzzy, and judge when `judge` (a `--judge` model) is given.
    A grader named twice counts once. Raises `GraderUsageError` for a bad name or pattern, a
    `--pass` for a grader the run does not use, and judge or pairwise without a judge model.
    """
    if graders:
        specs = [parse_grader(text) for text in graders]
    else:
        kinds = [*DEFAULT_GRADERS, *([GraderKind.JUDGE] if judge else [])]
        specs = [GraderSpec(kind, DEFAULT_PASS[kind]) for kind in kinds]
    unique: dict[str, GraderSpec] = {}
    for spec in specs:
        unique.setdefault(spec.name, spec)
    for spec in unique.values():
        if spec.kind in (GraderKind.JUDGE, GraderKind.PAIRWISE) and not judge:
            raise GraderUsageError(
                f"grader '{spec.name}' needs a judge model: --judge MODEL@PROFILE"
            )
    for text in passes:
        name, threshold = parse_pass(text)
        if name not in unique:
            chosen = ", ".join(unique)
            raise GraderUsageError(
                f"--pass {text}: '{name}' is not a grader of this run ({chosen})"
            )
        unique[name] = GraderSpec(unique[name].kind, threshold, unique[name].pattern)
    return tuple(unique.values())


def _known() -> str:
    names = [kind.value for kind in GraderKind if kind is not GraderKind.REGEX]
    return "graders are " + ", ".join(names) + " and regex:PATTERN"


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        raise GraderUsageError(
            f"regex:{pattern} is not a valid pattern: {exc.msg}{where}"
        ) from None


# -- offline scores ----------------------------------------------------------------------------


def score_offline(spec: GraderSpec, reply: str, reference: str | None) -> Score:
    """`reply` scored by an offline grader against `reference` (None: the example has none).

    Raises ValueError for a grader that needs a service (cosine, judge, pairwise).
    """
    kind = spec.kind
    if kind is GraderKind.REGEX:
        assert spec.pattern is not None
        return Score(1.0 if _compile(spec.pattern).search(reply) else 0.0)
    if kind not in OFFLINE:
        raise ValueError(f"grader '{spec.name}' needs a service; it is not scored offline")
    if reference is None:
        return Score.missing("no reference")
    if kind is GraderKind.EXACT:
        return Score(score_exact(reply, reference))
    if kind is GraderKind.CONTAINS:
        return Score(score_contains(reply, reference))
    if kind is GraderKind.JSON:
        return score_json(reply, reference)
    if kind is GraderKind.FUZZY:
        return Score(score_fuzzy(reply, reference))
    if kind is GraderKind.BLEU:
        return Score(score_bleu(reply, reference))
    if kind is GraderKind.CHRF:
        return Score(score_chrf(reply, reference))
    return Score(score_rouge_l(reply, reference))


def score_exact(reply: str, reference: str) -> float:
    """1.0 when the two are equal once their leading and trailing whitespace is trimmed."""
    return 1.0 if reply.strip() == reference.strip() else 0.0


def score_contains(reply: str, reference: str) -> float:
    """1.0 when the trimmed reference appears in the reply, both case-folded (`fold_case`; an
    empty reference is in every reply)."""
    return 1.0 if fold_case(reference.strip()) in fold_case(reply) else 0.0


def score_json(reply: str, reference: str) -> Score:
    """The `json` grader.

    The reference must parse as JSON (else the example is not graded). The reply is parsed
    after trimming and removing one surrounding Markdown code fence (```json ... ```), as
    models often write. Then:
    - a reply that is not JSON scores 0;
    - a reply equal to the reference scores 1 (numbers by value, so 1 equals 1.0; true is not 1;
      objects regardless of key order);
    - when the reference is a non-empty object and the reply an object: the share of the
      reference's top-level keys that the reply has with equal values (keys the reply adds are
      not held against it);
    - anything else scores 0.
    """
    try:
        expected = json.loads(reference)
    except ValueError:
        return Score.missing("the reference is not JSON")
    try:
        got = json.loads(_unfenced(reply))
    except ValueError:
        return Score(0.0)
    if json_equal(got, expected):
        return Score(1.0)
    if isinstance(expected, dict) and expected and isinstance(got, dict):
        same = sum(
            1 for key, value in expected.items() if key in got and json_equal(got[key], value)
        )
        return Score(same / len(expected))
    return Score(0.0)


def json_equal(a: Any, b: Any) -> bool:
    """Equality of parsed JSON values: numbers by value, booleans apart from numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


_FENCE = re.compile(r"\A```[^\n`]*\n(.*?)\n?```\Z", re.DOTALL)


def _unfenced(text: str) -> str:
    text = text.strip()
    match = _FENCE.match(text)
    return match.group(1) if match else text


def fold_case(text: str) -> str:
    """`text` case-folded so that Turkish capitals match: Python folds İ to i plus a combining
    dot and I to i, so the dot is dropped and dotless ı counts as i ("İSTANBUL" and "IŞIK" then
    match "istanbul" and "ışık"). The i/ı distinction is lost, which no grader here needs."""
    return text.casefold().replace("\u0307", "").replace("ı", "i")


def _folded(text: str) -> str:
    return " ".join(fold_case(text).split())


def score_fuzzy(reply: str, reference: str) -> float:
    """rapidfuzz's `fuzz.ratio` (normalised Indel similarity) of the two texts, case-folded and
    with whitespace runs as one space, scaled to 0..1. Two empty texts score 1."""
    from rapidfuzz import fuzz

    return fuzz.ratio(_folded(reply), _folded(reference)) / 100


def score_bleu(reply: str, reference: str) -> float:
    """sacrebleu's sentence-level BLEU (13a tokens, exponential smoothing, effective order so a
    short reply is not zeroed by missing 4-grams), scaled to 0..1."""
    return _unit(_bleu().sentence_score(reply, [reference]).score / 100)


def score_chrf(reply: str, reference: str) -> float:
    """sacrebleu's sentence-level chrF (character 6-grams, recall weighted by beta 2), scaled to
    0..1. Suits languages with long inflected words such as Turkish."""
    return _unit(_chrf().sentence_score(reply, [reference]).score / 100)


_WORD = re.compile(r"\w+")


def score_rouge_l(reply: str, reference: str) -> float:
    """ROUGE-L: the longest common subsequence of the two texts' words (case-folded `\\w+`
    tokens, by rapidfuzz's LCSseq), as an F1 of its precision (over the reply's words) and
    recall (over the reference's). Two texts without words score 1; one without, 0."""
    from rapidfuzz.distance import LCSseq

    got = _WORD.findall(fold_case(reply))
    expected = _WORD.findall(fold_case(reference))
    if not got or not expected:
        return 1.0 if not got and not expected else 0.0
    common = LCSseq.similarity(got, expected)
    if common == 0:
        return 0.0
    precision = common / len(got)
    recall = common / len(expected)
    return 2 * precision * recall / (precision + recall)


def _unit(value: float) -> float:
    """`value` within 0..1: sacrebleu's arithmetic can land a hair above 100 on a perfect match."""
    return min(1.0, max(0.0, value))


@cache
def _bleu() -> Any:
    from sacrebleu.metrics import BLEU

    return BLEU(effective_order=True)


@cache
def _chrf() -> Any:
    from sacrebleu.metrics import CHRF

    return CHRF()


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """The `cosine` grader's score for two embedding vectors: their cosine similarity, with a
    negative cosine (opposed meanings, rare for text embeddings) counted as 0.

    Raises ValueError when the vectors differ in length, are empty, or one is all zeros.
    """
    if len(a) != len(b):
        raise ValueError(f"embeddings differ in length: {len(a)} and {len(b)}")
    if not a:
        raise ValueError("an embedding is empty")
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norm_a = math.sqrt(math.fsum(x * x for x in a))
    norm_b = math.sqrt(math.fsum(y * y for y in b))
    if norm_a == 0 or norm_b == 0:
        raise ValueError("an embedding is all zeros")
    return min(1.0, max(0.0, dot / (norm_a * norm_b)))


def grade_all(specs: Iterable[GraderSpec], reply: str, reference: str | None) -> dict[str, Score]:
    """Every offline grader of `specs` applied to one reply, by grader name; the others (cosine,
    judge, pairwise) are left out for the runner to fill."""
    return {spec.name: score_offline(spec, reply, reference) for spec in specs if spec.offline}
