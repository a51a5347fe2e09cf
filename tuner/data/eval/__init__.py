"""Evaluation's offline core: examples, graders, statistics, results, reports, and splits.

Everything here is pure (no network, no Textual, no SDK): the runner in `tuner.api` asks the
models and the judge, and hands their replies to these modules to grade, summarise and report.

- `examples`: an eval file read into prompts, references and stable keys; golden files; overlap
  with a training file.
- `graders`: grader specs from the command line, offline scores, and the judge's and pairwise
  prompts and parsers.
- `statistics`: means with bootstrap intervals, pass rates, paired differences, flips, latency.
- `results`, `summary`, `report`, `runs`: the per-example record and `results.jsonl`,
  `summary.json`, `report.md`, the `--min-score` gate and the comparison of two run folders.
- `split`: a file cut into a training part and a held-out part.
"""
