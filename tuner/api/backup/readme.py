"""The note for a person at the top of a backup folder (`README.md`).

Someone opening the folder years later, with the account gone, needs three things: what is here,
how to use it with tuner (upload again, move to another service, bring the copy up to date), and
what could not be saved. Everything else is in `index.json`, which this note points to.
"""

from __future__ import annotations

from tuner.api.backup.folder import (
    CHECKPOINTS_JSON,
    EVENTS_JSONL,
    FILES_DIR,
    JOB_JSON,
    JOBS_DIR,
    METRICS_JSON,
)
from tuner.api.backup.index import BackupIndex, iso_time
from tuner.data.durations import format_size
from tuner.data.wording import plural

# Jobs the README lists by name; the index lists them all.
README_JOBS = 50


def readme_text(index: BackupIndex) -> str:
    """The note a person reads first: what is here, how to use it, what could not be saved."""
    profile = f' with the profile "{index.profile}"' if index.profile else ""
    size = format_size(sum(f.bytes for f in index.files))
    lines = [
        "# Fine-tuning backup",
        "",
        f"Made by tuner from {index.service} ({index.where}){profile}; "
        f"last run {iso_time(index.finished_at)}.",
        f"It holds {plural(len(index.jobs), 'fine-tuning job')} and "
        f"{plural(len(index.files), 'file')} ({size}).",
    ]
    if index.missing:
        lines.append(
            f"{plural(len(index.missing), 'file')} could not be saved (see the end of this note)."
        )
    if index.not_saved:
        lines.append(
            f"{plural(len(index.not_saved), 'job')} could not be read by the last run (see the end "
            "of this note); run `tuner backup` on this folder again to try them again."
        )
    if not index.complete:
        lines += [
            "",
            "**The last run stopped before the end.** Everything listed in index.json is here "
            "and whole; run `tuner backup` on this folder again to complete it.",
        ]
    lines += [
        "",
        "## What is here",
        "",
        "- `index.json`: every job and file, with local paths, sizes and sha256 checksums, what "
        "could not be saved and why, when the backup ran and from which service.",
        f"- `{JOBS_DIR}/JOB/{JOB_JSON}`: the job as the service described it: status, base model, "
        "fine-tuned model, hyperparameters, the ids of its files.",
        f"- `{JOBS_DIR}/JOB/{EVENTS_JSONL}`: the job's log, one JSON event per line, oldest first; "
        "metrics events carry each step's loss and token accuracy.",
        f"- `{JOBS_DIR}/JOB/{CHECKPOINTS_JSON}`: the checkpoints the service kept, with metrics.",
        f"- `{JOBS_DIR}/JOB/{METRICS_JSON}` (some services): per-step metrics, for a service that "
        "keeps no result file.",
        f"- `{FILES_DIR}/ID__NAME`: training and validation files and result files (a CSV of "
        "per-step metrics), byte for byte, named by their id on the service and their original "
        "name (just the id when the service did not say it).",
        "",
        "## Using it",
        "",
        "- Check a copy: `sha256sum FILE` gives the `sha256` that index.json records for it.",
        f"- Train again, here or elsewhere: `tuner upload {_example_file(index)} --profile OTHER`, "
        "then `tuner jobs create --model MODEL --training-file FILE_ID --profile OTHER` "
        "(the hyperparameters used are in job.json).",
        "- Move a job to another service, its data checked against that service's rules: "
        "`tuner migrate` (see `tuner migrate --help`).",
        "- Bring this backup up to date: run `tuner backup` on this folder again; "
        "it fetches only what is new.",
        "",
        "A fine-tuned model itself cannot be downloaded: it answers on its service, under the "
        "name in job.json (`fine_tuned_model`), until its base model is retired.",
    ]
    if index.jobs:
        lines += ["", "## Jobs", "", _jobs_table(index)]
    if index.missing or index.not_saved:
        lines += ["", "## Not saved", ""]
        for unsaved in index.not_saved:
            lines.append(f"- job `{unsaved.id}`: {unsaved.reason}")
        users = index.users()
        for missing in index.missing:
            name = f" ({missing.filename})" if missing.filename else ""
            used = users.get(missing.id) or list(missing.used_by)
            by = f", used by {', '.join(used)}" if used else ""
            lines.append(f"- `{missing.id}`{name}{by}: {missing.reason}")
    return "\n".join(lines) + "\n"


def _example_file(index: BackupIndex) -> str:
    paths = {f.id: f.path for f in index.files}
    for job in index.jobs:
        if job.training_file in paths:
            return paths[job.training_file]
    return f"{FILES_DIR}/ID__NAME"


def _jobs_table(index: BackupIndex) -> str:
    paths = {f.id: f.path for f in index.files}
    rows = [
        "| job | status | base model | fine-tuned model | training file |",
        "|---|---|---|---|---|",
    ]
    for job in index.jobs[:README_JOBS]:
        training = job.training_file or "-"
        if job.training_file in paths:
            training = f"`{paths[job.training_file]}`"
        status = job.status if job.on_service else f"{job.status} (no longer listed)"
        rows.append(
            f"| `{job.folder}` | {status} | {job.model} | {job.fine_tuned_model or '-'} "
            f"| {training} |"
        )
    hidden = len(index.jobs) - README_JOBS
    if hidden > 0:
        rows += ["", f"... and {hidden} more in index.json."]
    return "\n".join(rows)
