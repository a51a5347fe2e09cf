"""What an analysis of a training file yields: the report, or `AnalysisCancelled`.

`AnalysisReport` is what `tuner validate` prints (and, as `to_json`, its stable `--json` shape),
what the dataset screen lists and marks, and what a job's estimate is repriced from
(`reprice`) without a second pass. It lives apart from the pass that makes it
(`tuner.data.analysis.analyse`) because most of its readers only hold one: the screens, the
commands and the job-creation flow import this module, not the process pool.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tuner.data.catalog.models import ModelInfo, Resolution
from tuner.data.estimate import CostEstimate, estimate_cost, service_default_epochs
from tuner.data.jsonl.line_marks import LineMarks
from tuner.data.rules.problems import DatasetFormat, Problem, Severity
from tuner.data.service_kinds import OPENAI, rules_label
from tuner.data.stats import TokenStats


class AnalysisCancelled(Exception):
    """Raised by `analyse_file` when its `cancel` event is set; nothing partial is returned."""


@dataclass(slots=True)
class AnalysisReport:
    """Everything known about one file after one pass: problems, tokens, the estimate."""

    path: Path
    model: str
    resolution: Resolution
    encoding: str
    exact_tokens: bool
    format: DatasetFormat | None
    examples: int
    problems: list[Problem]  # the first PROBLEMS_KEPT_PER_CODE of each code, in file order
    example_lines: array  # per example, with keep_examples only (else empty)
    token_counts: array
    assistant_tokens: int
    trained_assistant_tokens: int
    stats: TokenStats
    example_token_limit: int | None
    over_limit: int
    billed_tokens: int
    epochs: int
    estimate: CostEstimate
    notices: list[str] = field(default_factory=list)
    service: str = OPENAI
    token_note: str | None = None  # why the counts are an estimate; None when they are exact
    chat_template: str = "openai"
    full: bool = False
    # Findings not in `problems`, by (severity, code): past the number kept per code.
    left_out: dict[tuple[Severity, str], int] = field(default_factory=dict)
    marks: LineMarks | None = None  # every line with a finding (with keep_examples)

    @property
    def rules(self) -> str:
        """Which service's rules the file was checked against: `Together AI rules`."""
        return rules_label(self.service)

    @property
    def tokens_label(self) -> str:
        """How the counts were made, for a heading: `o200k_base, exact` or the estimate's note
        (`estimated with cl100k_base: tuner has no Llama 3 tokenizer offline`)."""
        return self.token_note or f"{self.encoding}, exact"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def error_count(self) -> int:
        """Every error, listed in `problems` or left out of it."""
        return len(self.errors) + self._left_out(Severity.ERROR)

    @property
    def warning_count(self) -> int:
        """Every warning, listed in `problems` or left out of it."""
        return len(self.warnings) + self._left_out(Severity.WARNING)

    def _left_out(self, severity: Severity) -> int:
        return sum(n for (s, _), n in self.left_out.items() if s is severity)

    def problems_left_out(self, severity: Severity | None = None) -> dict[str, int]:
        """{code: findings of it not in `problems`} (of one severity, or all), most first."""
        merged: dict[str, int] = {}
        for (s, code), count in self.left_out.items():
            if severity is None or s is severity:
                merged[code] = merged.get(code, 0) + count
        return dict(sorted(merged.items(), key=lambda item: (-item[1], item[0])))

    def count_of(self, code: str) -> int:
        """Every finding of `code`, listed or left out."""
        listed = sum(1 for p in self.problems if p.code == code)
        return listed + sum(n for (_, c), n in self.left_out.items() if c == code)

    @property
    def valid(self) -> bool:
        """True when the service would accept the file (warnings allowed)."""
        return not any(p.severity is Severity.ERROR for p in self.problems) and not (
            self._left_out(Severity.ERROR)
        )

    @property
    def tokens_total(self) -> int:
        return self.stats.total

    def to_json(self) -> dict[str, object]:
        """The stable `tuner validate --json` shape (scripts depend on these keys)."""
        cost = self.estimate.cost_usd
        return {
            "service": self.service,
            "rules": self.rules,
            "path": str(self.path),
            "format": self.format.value if self.format else None,
            "model": self.model,
            "base_model": self.resolution.base_id,
            "examples": self.examples,
            "valid": self.valid,
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
            "left_out": {
                "errors": self.problems_left_out(Severity.ERROR),
                "warnings": self.problems_left_out(Severity.WARNING),
            },
            "tokens": {
                "total": self.stats.total,
                "billed": self.billed_tokens,
                "max_example": self.stats.max,
                "min_example": self.stats.min,
                "mean_example": round(self.stats.mean, 2),
                "p5_example": round(self.stats.p5, 1),
                "p50_example": round(self.stats.p50, 1),
                "p95_example": round(self.stats.p95, 1),
                "assistant_total": self.assistant_tokens,
                "trained_assistant_total": self.trained_assistant_tokens,
                "example_limit": self.example_token_limit,
                "examples_over_limit": self.over_limit,
            },
            "encoding": self.encoding,
            "exact_tokens": self.exact_tokens,
            "token_estimate": self.token_note,
            "chat_template": self.chat_template,
            "epochs": self.epochs,
            "trained_tokens": self.estimate.trained_tokens,
            "price_per_1m_usd": _float_or_none(self.estimate.price_per_1m),
            "estimated_cost_usd": _float_or_none(cost),
            "notices": list(self.notices),
        }

    def reprice(
        self, model: ModelInfo | None, epochs: int | None = None, *, full: bool | None = None
    ) -> CostEstimate:
        """The estimate for another base model, epoch count or (where the service offers the
        choice) full fine-tuning instead of LoRA, without a second pass.

        Valid only when `model` uses the same encoding and chat template as this report (the UI
        re-analyses when it does not): token counts differ between them.
        """
        preference = self.format is DatasetFormat.PREFERENCE
        limit = model.token_limit(preference=preference) if model else None
        billed = self.stats.billed(limit)
        chosen = (
            epochs if epochs is not None else service_default_epochs(self.service, self.examples)
        )
        return estimate_cost(
            billed,
            chosen,
            model,
            examples=self.examples,
            preference=preference,
            full=self.full if full is None else full,
        )

    def problems_by_line(self) -> tuple[dict[int, list[Problem]], LineMarks, list[Problem]]:
        """(the listed problems of each line, the lines with a finding and whether one is an
        error, whole-file errors): what a list draws as row markers and a banner. The marks
        cover every finding when the analysis kept examples (`keep_examples`), else the
        listed ones."""
        by_line: dict[int, list[Problem]] = {}
        file_errors: list[Problem] = []
        for p in self.problems:
            if p.line is None:
                if p.is_error:
                    file_errors.append(p)
                continue
            by_line.setdefault(p.line, []).append(p)
        marks = self.marks if self.marks is not None else LineMarks.of(self.problems)
        return by_line, marks, file_errors


def _float_or_none(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None
