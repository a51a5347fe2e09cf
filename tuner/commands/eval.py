"""`tuner eval`: is the new model as good as the old one? Scores with intervals, from the shell.

    tuner eval holdout.jsonl --model ft:gpt-4o-mini:acme::x1@work --model my-copy@together
    tuner eval --job ftjob-abc                      # its fine-tune against its base
    tuner eval record holdout.jsonl --model ft:... --out golden.jsonl
    tuner eval holdout.jsonl --model my-copy@together --reference golden.jsonl
    tuner eval diff RUN_A RUN_B

Before anything is asked, the requests, tokens and cost per model (and for the judge) are shown;
on a terminal the run waits for a yes, `--yes` skips that, `--max-cost` refuses a dearer run,
and off a terminal a run that costs anything needs `--yes`. Replies are cached in tuner's data
folder: an interrupted run continues where it stopped, and a second run (another grader, say)
asks no model again (`--fresh` asks again).

Exit codes: 0 every model meets `--min-score` (or none is set); 1 a model does not, a run that
was refused its cost, or a recording with prompts left out; 2 usage errors, unreadable files,
unknown profiles and services that cannot be reached. The figures go to stdout, progress and
warnings to stderr; `--json` prints one object. This module is the arguments and the steps;
what is said at the terminal around a run (the estimate and its yes, the progress line, the
judge's spend) is `tuner.commands.eval_output`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.commands._service import fail, print_json
from tuner.commands.eval_output import ProgressLine, confirm_cost, judge_spend, spend_json
from tuner.data.visible_text import visible, visible_line

if TYPE_CHECKING:
    from tuner.api.eval.session import EvalChoices

COMMAND = "eval"
SUBCOMMANDS = ("record", "diff")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        COMMAND,
        help="score models on a held-out file, with intervals (also: eval record, eval diff)",
        description="Send each example's prompt to every --model, grade the replies against "
        "the example's last assistant turn (or a golden file's), and report each model's "
        "scores with 95% intervals, the paired difference to the first model, and the examples "
        "that flipped. `tuner eval record --help` and `tuner eval diff --help` for the others.",
        epilog="graders: exact, contains, regex:PATTERN, json, fuzzy, bleu, chrf, rouge_l, "
        "cosine, judge, pairwise (default: chrf and fuzzy, and judge with --judge)",
    )
    p.add_argument("file", nargs="?", type=Path, metavar="FILE", help="the held-out chat JSONL")
    _add_run_options(p)
    p.set_defaults(func=run)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="MODEL[@PROFILE]",
        help="a model to evaluate (repeat; the first is the baseline)",
    )
    p.add_argument("--job", metavar="JOB", help="the job's fine-tune against its base model")
    p.add_argument("--grader", action="append", default=[], metavar="G", help="a grader (repeat)")
    p.add_argument(
        "--pass", dest="passes", action="append", default=[], metavar="G=X",
        help="the score at which grader G passes (0..1)",
    )  # fmt: skip
    p.add_argument("--judge", metavar="MODEL[@PROFILE]", help="the model that judges replies")
    p.add_argument("--rubric", type=Path, metavar="FILE", help="what the judge should look for")
    p.add_argument(
        "--embedder", metavar="MODEL[@PROFILE]", help="the embeddings model of the cosine grader"
    )
    p.add_argument(
        "--reference",
        type=Path,
        metavar="GOLDEN.jsonl",
        help="grade against a golden file's replies (tuner eval record) instead of FILE's",
    )
    p.add_argument(
        "--from-backup",
        type=Path,
        metavar="DIR",
        help="with --job: take its files from a `tuner backup` folder",
    )
    p.add_argument(
        "--min-score",
        action="append",
        default=[],
        metavar="X|G=X",
        help="exit 1 when a model's mean is below X (on the first grader, or on G)",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="the run folder (default: data folder)")
    _add_asking_options(p)


def _add_asking_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--concurrency",
        type=int,
        default=8,
        metavar="N",
        help="requests in flight per model (default 8; fewer while a service says 429)",
    )
    p.add_argument("--max-cost", type=float, metavar="USD", help="refuse a run estimated above")
    p.add_argument("--yes", action="store_true", help="run without asking about the cost")
    p.add_argument("--fresh", action="store_true", help="ask again what the reply cache holds")
    p.add_argument("--profile", metavar="NAME", help="the profile of --job and of bare models")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def record_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="tuner eval record",
        description="Send each example's prompt to MODEL and write its replies as a golden "
        "file: the prompt with MODEL's reply as its last assistant turn (valid training data), "
        "and GOLDEN.meta.json beside it. Grade a later model against it with --reference.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the chat JSONL whose prompts to ask")
    p.add_argument("--model", required=True, metavar="MODEL[@PROFILE]", help="the model to record")
    p.add_argument("--out", required=True, type=Path, metavar="GOLDEN.jsonl", help="the file")
    p.add_argument("--force", action="store_true", help="replace GOLDEN.jsonl if it exists")
    _add_asking_options(p)
    return p


def diff_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="tuner eval diff",
        description="Compare two eval runs (last week's run on OpenAI with today's on "
        "Together): each grader's mean in both, and the paired difference on the examples both "
        "ran.",
    )
    p.add_argument("run_a", type=Path, metavar="RUN_A", help="a run folder")
    p.add_argument("run_b", type=Path, metavar="RUN_B", help="another run folder")
    p.add_argument("--model-a", metavar="LABEL", help="run A's model (default: its first)")
    p.add_argument("--model-b", metavar="LABEL", help="run B's model (default: its first)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    return p


def main_subcommand(argv: list[str]) -> int:
    """`tuner eval record ...` and `tuner eval diff ...` (argv starts after `eval`)."""
    name, rest = argv[0], argv[1:]
    if name == "record":
        return run_record(record_parser().parse_args(rest))
    return run_diff(diff_parser().parse_args(rest))


# -- tuner eval ----------------------------------------------------------------------------------


def _choices(args: argparse.Namespace) -> EvalChoices:
    from tuner.api.eval.session import EvalChoices

    return EvalChoices(
        file=args.file,
        models=tuple(args.model),
        job=args.job,
        profile=args.profile,
        graders=tuple(args.grader),
        passes=tuple(args.passes),
        judge=args.judge,
        embedder=args.embedder,
        rubric=args.rubric,
        reference=args.reference,
        backup=args.from_backup,
        out=args.out,
        concurrency=args.concurrency,
    )


def run(args: argparse.Namespace) -> int:
    from tuner.data.eval.gate import parse_min_score
    from tuner.data.eval.graders import GraderUsageError

    if args.concurrency < 1:
        return fail(COMMAND, "--concurrency must be at least 1")
    if args.job is None and args.file is None:
        return fail(COMMAND, "name the file to evaluate on, or --job JOB")
    if args.from_backup is not None and args.job is None:
        return fail(COMMAND, "--from-backup takes a job's files: give --job JOB")
    try:
        rules = [parse_min_score(text) for text in args.min_score]
    except GraderUsageError as exc:
        return fail(COMMAND, str(exc))
    return _with_services(COMMAND, lambda services: _evaluate(args, services, rules))


def _with_services(command: str, work: Any) -> int:
    """Open the settings, run `work(services)` and close what it opened; the errors every eval
    command shares become one line and exit 2."""
    from tuner.api.errors import ServiceError
    from tuner.api.eval.run import EvalAborted
    from tuner.api.eval.session import EvalUsageError
    from tuner.api.eval.targets import EvalServices
    from tuner.config import ConfigError, load_settings
    from tuner.data.catalog.overrides import CatalogError
    from tuner.data.eval.graders import GraderUsageError
    from tuner.data.jsonl.atomic_file import OutputError

    try:
        settings = load_settings()
    except ConfigError as exc:
        return fail(command, str(exc))

    async def main() -> int:
        services = EvalServices(settings)
        try:
            return await work(services)
        finally:
            await services.close()

    try:
        return asyncio.run(main())
    except (
        EvalUsageError,
        GraderUsageError,
        ConfigError,
        CatalogError,
        OutputError,
        FileExistsError,
    ) as exc:
        return fail(command, visible_line(str(exc)))
    except EvalAborted as exc:
        return fail(command, visible_line(f"{exc.label} cannot be asked: {exc.error.message}"))
    except ServiceError as exc:
        return fail(command, visible_line(exc.message))
    except KeyboardInterrupt:
        print(
            f"tuner {command}: stopped; every reply so far is kept: run the same command again "
            "to continue (nothing is asked twice)",
            file=sys.stderr,
        )
        return 130


async def _evaluate(args: argparse.Namespace, services: Any, rules: list[Any]) -> int:
    from tuner.api.eval.plan import estimate_eval
    from tuner.api.eval.reply_cache import ReplyCache
    from tuner.api.eval.session import prepare_eval, run_eval
    from tuner.data.eval.gate import gate_failures
    from tuner.data.eval.summary_file import summary_json
    from tuner.data.eval.summary_text import summary_lines

    prepared = await prepare_eval(_choices(args), services)
    cache = ReplyCache(reuse=not args.fresh)
    try:
        from tuner.data.eval.gate import gate_grader

        for rule in rules:
            gate_grader(prepared.plan.graders, rule)  # a rule for no grader: said before paying
        for warning in prepared.warnings:
            print(f"warning: {visible_line(warning)}", file=sys.stderr)
        estimate = await asyncio.to_thread(estimate_eval, prepared.plan, cache)
        refused = confirm_cost(args, estimate, COMMAND)
        if refused is not None:
            return refused
        progress = ProgressLine(sys.stderr) if sys.stderr.isatty() and not args.json else None
        outcome = await run_eval(
            prepared, cache=cache, concurrency=args.concurrency, on_progress=progress
        )
        if progress is not None:
            progress.end()
    finally:
        cache.close()
    failures = gate_failures(outcome.summary, rules)
    if args.json:
        print_json(
            {
                "run": str(outcome.folder.path),
                "estimate": estimate.to_json(),
                "summary": summary_json(outcome.summary),
                "judge": spend_json(outcome.totals.judge) if prepared.plan.judge else None,
                "below_min_score": [f.describe() for f in failures],
                "warnings": list(prepared.warnings),
            }
        )
    else:
        print("\n".join(summary_lines(outcome.summary)))
        if prepared.plan.judge is not None:
            print(f"judge {visible_line(prepared.plan.judge.label)}: {judge_spend(outcome.totals)}")
        print(f"run folder: {visible_line(str(outcome.folder.path))} (report.md, summary.json)")
    for failure in failures:
        print(f"below --min-score: {visible_line(failure.describe())}", file=sys.stderr)
    return 1 if failures else 0


# -- tuner eval record --------------------------------------------------------------------------


def run_record(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        return fail("eval record", "--concurrency must be at least 1")
    return _with_services("eval record", lambda services: _record(args, services))


async def _record(args: argparse.Namespace, services: Any) -> int:
    from tuner.api.eval.plan import estimate_eval
    from tuner.api.eval.record import record_golden
    from tuner.api.eval.reply_cache import ReplyCache
    from tuner.api.eval.session import EvalChoices, prepare_eval
    from tuner.data.jsonl.atomic_file import output_target

    output_target(args.out, force=args.force)  # an existing file is refused before anything
    choices = EvalChoices(file=args.file, models=(args.model,), profile=args.profile)
    prepared = await prepare_eval(choices, services)
    for warning in prepared.warnings:
        print(f"warning: {visible_line(warning)}", file=sys.stderr)
    cache = ReplyCache(reuse=not args.fresh)
    try:
        estimate = await asyncio.to_thread(estimate_eval, prepared.plan, cache)
        refused = confirm_cost(args, estimate, COMMAND)
        if refused is not None:
            return refused
        show = sys.stderr.isatty() and not args.json

        def progress(done: int, total: int) -> None:
            if show:
                sys.stderr.write(f"\rrecording: {done}/{total}")
                sys.stderr.flush()

        recording = await record_golden(
            prepared.plan,
            args.out,
            source=args.file,
            cache=cache,
            force=args.force,
            concurrency=args.concurrency,
            on_progress=progress,
        )
        if show:
            sys.stderr.write("\n")
    finally:
        cache.close()
    if args.json:
        print_json(
            {
                "golden": str(recording.golden),
                "meta": str(recording.meta),
                "written": recording.written,
                "failed": [{"line": line, "error": why} for line, why in recording.failed],
                "tokens_in": recording.tokens_in,
                "tokens_out": recording.tokens_out,
                "dollars": recording.dollars,
            }
        )
    else:
        money = "price unknown" if recording.dollars is None else f"${recording.dollars:,.4f}"
        print(
            f"recorded {recording.written:,} replies of {visible_line(args.model)} in "
            f"{visible_line(str(recording.golden))} ({recording.cached:,} from the cache, "
            f"{money}); meta: {visible_line(str(recording.meta))}"
        )
    for line, why in recording.failed:
        print(f"{args.file}:{line}: not recorded: {visible_line(why)}", file=sys.stderr)
    return 1 if recording.failed else 0


# -- tuner eval diff ----------------------------------------------------------------------------


def run_diff(args: argparse.Namespace) -> int:
    from tuner.data.eval.runs import RunError, diff_json, diff_runs, render_diff

    try:
        diff = diff_runs(args.run_a, args.run_b, model_a=args.model_a, model_b=args.model_b)
    except RunError as exc:
        return fail("eval diff", visible_line(str(exc)))
    if args.json:
        print_json(diff_json(diff))
    else:
        print(visible(render_diff(diff)), end="")
    return 0
