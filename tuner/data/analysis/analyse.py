"""Analyse a training file end to end: stream it, check every line, count tokens, price it.

This is what `tuner validate`, the dataset screen and the emulator's file check share. Every
step follows the service the file is for (`service`, by default the catalog's): its rules
(`rules`), its model table and prices (`catalog`), its default epochs, and how its models' tokens
are counted (`tokens`), exactly or as a labelled estimate (`AnalysisReport.token_note`).

The file is never held in memory: it is cut into byte ranges at line starts, and each range is
checked and counted by a worker process (tiktoken's batch encoder does not scale with threads
here; processes do). Each worker returns compact per-range results (problems, a table of token
counts, facts for the file-level rules) that are folded in file order as they arrive.

Memory is bounded by limits tuner states, not by the file:
- findings: the first `PROBLEMS_KEPT_PER_CODE` of each code are kept, the rest counted
  (`AnalysisReport.problems_left_out`);
- token counts: a table of each distinct count (`stats.TokenStats`), exact, not one per example;
  per-example arrays (`example_lines`, `token_counts`, `marks`, what a screen listing every row
  needs) only with `keep_examples`;
- duplicates: the compact table of `example_hashes`, up to `MAX_DISTINCT_EXAMPLES`;
- one line: at most `line_window(limit)` bytes, a fixed window past what the model's
  per-example limit could fill; a longer line is measured, not read, and reported
  (`line_too_long`);
- ranges in flight: a few per worker, folded in order as they come back.

This module is the entry (`analyse_file`): it settles the service, the model, its limits and
its counter, then hands the ranges to `pool`, which runs `range_check` on each and folds the
results into `totals`, whence the `report`.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

from tuner.data.analysis.pool import ProgressCallback, run_ranges
from tuner.data.analysis.range_check import RangeTask, line_window, shared_counter
from tuner.data.analysis.report import AnalysisReport
from tuner.data.analysis.totals import Limits, Totals, assemble_report
from tuner.data.catalog.choice import default_catalog
from tuner.data.catalog.lookup import Catalog
from tuner.data.rules.file import preflight
from tuner.data.service_kinds import OPENAI, rules_family
from tuner.data.tokens.count import counter_for_model


def analyse_file(
    path: str | os.PathLike[str],
    model: str | None = None,
    *,
    epochs: int | None = None,
    catalog: Catalog | None = None,
    tiktoken_file: Path | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    shown_as: str | None = None,
    service: str | None = None,
    example_token_limit: int | None = None,
    preference_token_limit: int | None = None,
    full: bool = False,
    keep_examples: bool = False,
) -> AnalysisReport:
    """Check and count a whole file; raises OSError if it cannot be read, AnalysisCancelled.

    `service` (`openai`, `azure`, `together`) picks the rules the file is checked against; by
    default the catalog's service, and OpenAI's when no catalog is given either (a catalog is
    then the service's built-in one). `model=None` means the catalog's default model.
    `example_token_limit` and `preference_token_limit` replace the catalog's per-example limits
    for supervised and preference files (the figures a service reported, such as Together's
    `/fine-tunes/models/limits`); without the second, preference files get the model's own DPO
    limit, else the supervised one. `full` prices full fine-tuning instead of LoRA.
    `workers=None` picks one process for small files and one per core for large ones.
    `shown_as` is the name the user gave the input when `path` is a copy of it (a pipe spooled
    to a file): the report and its messages use it. Anything but a regular file (a directory, a
    FIFO, a device) is refused with an `OSError` that says what it is: reading one could block
    or never end. An unknown `service` raises `UnknownService` (a ValueError).
    `keep_examples` keeps what a screen listing every line needs: each example's line and
    token count, and every line with a finding (`marks`); memory then grows with the file (a
    few bytes a line). Without it, memory is bounded by tuner's limits (module docstring).
    """
    path = Path(path)
    if service is not None:
        rules_family(service)  # an unknown service is refused before any work
    if catalog is None:
        catalog = default_catalog(service or OPENAI)
    service = service or catalog.service
    size = _regular_file_size(path)
    model = model or catalog.default_model
    counter, resolution = counter_for_model(model, catalog, tiktoken_file)
    info = resolution.info
    limit = example_token_limit
    if limit is None and info is not None:
        limit = info.token_limit()
    preference_limit = preference_token_limit
    if preference_limit is None:
        own = info.dpo_example_token_limit if info is not None else None
        preference_limit = own if own is not None else limit

    whole_file = preflight(path, shown_as)
    totals = Totals(keep_examples)
    if whole_file is not None:
        found = [whole_file]
    else:
        found = []
        window = line_window(max((x for x in (limit, preference_limit) if x), default=None))
        with shared_counter(counter) as key:
            task = RangeTask(
                path,
                model,
                catalog,
                tiktoken_file,
                limit,
                key,
                service,
                preference_limit,
                window,
                keep_examples,
            )
            run_ranges(task, size, workers, progress, cancel, totals)
    shown = Path(shown_as) if shown_as is not None else path
    limits = Limits(limit, preference_limit)
    report = assemble_report(
        shown, model, resolution, counter, info, limits, epochs, totals, found, service, full
    )
    if info is not None and catalog.price_source and catalog.builtin_prices(info):
        report.notices.append(f"{info.id}: prices {catalog.price_source}")
    return report


def _regular_file_size(path: Path) -> int:
    """The size of `path`, or an OSError saying why it is not a regular file one can read."""
    info = os.stat(path)
    if stat.S_ISREG(info.st_mode):
        return info.st_size
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    kind = "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
    raise OSError(errno.EINVAL, f"is {kind}, not a regular file", str(path))
