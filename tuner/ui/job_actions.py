"""What the app does with one job, whichever screen asks: record its answers, move it to another
service, evaluate it, and say once that it ended.

The jobs list, a job's screen and the command palette all offer `r`, `m` and `E` on a job. Each
is a flow with a modal or another screen behind it, so it is written once, here, and mixed into
`TunerApp`; screens ask for it through `TunerHost` and import none of its modals themselves.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from tuner.ui.app_protocol import AppMixin

if TYPE_CHECKING:
    from tuner.api.types import Job
    from tuner.ui.moved_job import MovedJob


class JobActions(AppMixin):
    """Mixed into the app: the actions on a job that several screens offer."""

    # Jobs made by a move in this session, by (target profile, job id): where they came from
    # (set up by the app).
    moves: dict[tuple[str, str], MovedJob]

    def evaluate_job(self, job: Job) -> None:
        """The Eval screen on `job`'s fine-tune, on the job's validation file: against the
        model it was moved from when a move made it (is the copy as good?), else against its
        base (did training help?)."""
        from tuner.api.eval.targets import target_label

        if self._no_model_yet(job, "evaluate"):
            return
        assert job.fine_tuned_model is not None
        profile = self.profile.name if self.profile is not None else None
        tuned = target_label(job.fine_tuned_model, profile)
        moved = self.move_origin(profile, job.id)
        if moved is not None and moved.source_job and moved.source_model:
            old = target_label(moved.source_model, moved.source_profile)
            note = f"The model {job.id} was moved from, against the copy: on the validation file"
            self.open_eval(
                models=(old, tuned), job=moved.source_job, profile=moved.source_profile, note=note
            )
            return
        note = None
        if not job.validation_file:
            note = (
                f"{job.id} was trained without a validation file: type the path of a held-out "
                "file, or p picks one (tuner split makes one)"
            )
        base = target_label(job.model, profile)
        self.open_eval(models=(base, tuned), job=job.id, profile=profile, note=note)

    def move_job(self, job_id: str) -> None:
        """ "Move to another service…" (`m` on the jobs list and the job screen): the job's
        data and settings to another profile's service, converted for its rules, both costs
        shown before anything is sent; then the new job is watched on its profile."""
        from tuner.ui.modals.migrate import MigrateModal

        source_profile = self.profile.name if self.profile is not None else None
        if not [name for name in self.settings.profiles if name != source_profile]:
            self.notify(
                "Moving needs a second profile (another service): add one in settings (s)",
                severity="warning",
            )
            return

        def moved(result: MovedJob | None) -> None:
            # Whether the copy is as good as the original can only be measured once it has
            # trained: the new job's screen offers it then (`E`), with this job's model and
            # validation file.
            if result is None:
                return
            self.remember_move(dataclasses.replace(result, source_profile=source_profile))
            self.switch_profile(result.profile)
            self.open_job(result.job_id, just_created=True)
            if result.source_model:
                self.notify(
                    f"Once {result.job_id} has trained, E on its screen evaluates the old model "
                    "against the new one on the validation file",
                    timeout=15,
                    markup=False,
                )

        self.push_screen(MigrateModal.for_app(self, job_id), moved)

    def record_answers(self, job: Job) -> None:
        """`r` on a fine-tune: its replies to the job's validation file kept as a golden file
        in the browser's folder, before the model stops answering."""
        from tuner.ui.modals.record import RecordModal

        if self._no_model_yet(job, "record"):
            return
        profile = self.profile.name if self.profile is not None else None
        self.push_screen(RecordModal(job, profile, self.start_path))

    def _no_model_yet(self, job: Job, doing: str) -> bool:
        """True (and said) when `job` has made no model to `doing` yet."""
        if job.fine_tuned_model:
            return False
        self.notify(
            f"{job.id} has no fine-tuned model ({job.status.words}): {doing} it once it has "
            "succeeded",
            severity="warning",
        )
        return True

    def remember_move(self, moved: MovedJob) -> None:
        """A move made here: its new job is measured against the model it came from (`E`)."""
        self.moves[(moved.profile, moved.job_id)] = moved

    def move_origin(self, profile: str | None, job_id: str) -> MovedJob | None:
        """Where `job_id` on `profile` was moved from, when a move in this session made it."""
        return self.moves.get((profile or "", job_id))

    def announce_finished(self, job: Job, *, offer_chat: bool = True) -> bool:
        """Tell the user (once per job) that `job` ended: a notification and the bell.

        The bell reaches a user in another tmux window; the notification says what happened.
        Returns False when this job was already announced.
        """
        from tuner.api.jobs.watch import finished_summary
        from tuner.api.types import JobStatus

        if job.id in self.announced:
            return False
        self.announced.add(job.id)
        needs_deployment = self.needs_deployment
        message = finished_summary(job, needs_deployment=needs_deployment)
        if job.status is JobStatus.SUCCEEDED and offer_chat and not needs_deployment:
            message += " — open the job and press o to chat with it"
        severity = {JobStatus.SUCCEEDED: "information", JobStatus.FAILED: "error"}.get(
            job.status, "warning"
        )
        self.notify(message, title="Fine-tuning job finished", severity=severity, timeout=15)  # type: ignore[arg-type]
        self.bell()
        return True
