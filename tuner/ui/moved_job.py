"""Where a job was moved to and where it came from: what the app remembers of a move.

The move dialog returns it, the app keeps it (so the new job's screen can offer to compare the
two models once the copy has trained), and the protocol screens ask the app through names it.
It lives alone so that the protocol and the dialog both import it, not each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MovedJob:
    """Where the job was moved to (the target profile and the new job's id there) and where it
    came from: the job moved, its fine-tuned model, and the profile it is on (filled in by the
    caller, which knows it). Once the new job has trained, the two models can be measured on
    the moved job's validation file."""

    profile: str
    job_id: str
    source_job: str | None = None
    source_model: str | None = None
    source_profile: str | None = None
