"""How each top-level screen is reached, and opened on something: a file, a job, a model.

Every way into a screen (a key, the palette, another screen's action, start-up) goes through
one of these methods, so a screen is always opened the same way and no screen imports another.
Each top-level screen is a Textual mode (`tuner.ui.routes`); the dataset's mode is rebuilt for
each file opened, and a job or the new-job form is pushed over the jobs list. Mixed into
`TunerApp` as `Navigation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tuner.ui.app_protocol import AppMixin

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from textual.screen import Screen

    from tuner.ui.routes import ScreenRoute


class Navigation(AppMixin):
    """Mixed into the app: switching between the top-level screens and opening them."""

    # The mode the user came from (`go_back` returns there); set up by the app.
    _previous_mode: str

    def _factory(self, r: ScreenRoute, **kwargs: Any) -> Any:
        """What builds route `r`'s screen (with `kwargs`) when its mode is first shown."""

        def build() -> Screen[Any]:
            cls = r.screen_class()
            if r.name == "files":
                return cls(root=self.start_path, open_folders=self.connection.demo)
            return cls(**kwargs)

        return build

    def action_show(self, name: str) -> None:
        """Switch to the top-level screen `name` (its mode), keeping the others' state."""
        if name == "dataset" and self.last_dataset is None:
            return
        if self.current_mode != name:
            self._previous_mode = self.current_mode
            self.switch_mode(name)

    def go_back(self) -> None:
        """Back to the screen the user came from (the browser when there is none)."""
        target = self._previous_mode if self._previous_mode != self.current_mode else "files"
        if target == "dataset" and self.last_dataset is None:
            target = "files"
        self.action_show(target)

    def open_dataset(self, path: Path, *, upload: bool = False) -> None:
        """Open `path` in the dataset screen: the one entry point every screen uses.

        The dataset mode is rebuilt for the new file, so `d` always returns to the last
        dataset opened. `upload`: upload the file once its check is done (as `u` there).
        """
        self.last_dataset = path.resolve()
        if self.current_mode == "dataset":
            self.switch_mode(self.DEFAULT_MODE)
        if "dataset" in self._modes:
            self.remove_mode("dataset")
        factory = self._factory(self.routes["dataset"], path=self.last_dataset, upload=upload)
        self.add_mode("dataset", factory)
        self.switch_mode("dataset")
        self.refresh_bindings()

    def open_file(self, path: Path) -> None:
        """Open `path` as what it is: a prompt file (`.txt`, one user turn a line) in chat,
        ready to replay; anything else in the dataset screen."""
        from tuner.data.data_files import is_prompt_file

        if is_prompt_file(path):
            self.open_prompt_file(path)
        else:
            self.open_dataset(path)

    def open_prompt_file(self, path: Path) -> None:
        """Chat, with the prompt file `path` loaded ready to replay (ctrl+g runs it, ctrl+n
        steps): the model is asked for first unless one was chosen in chat already."""
        from tuner.ui.screens.chat import ChatScreen

        self.action_show("chat")
        for screen in self.get_screen_stack("chat")[:1]:
            if isinstance(screen, ChatScreen):
                screen.load_prompt_file(path.resolve())

    def open_new_job(
        self,
        path: Path | None = None,
        file_id: str | None = None,
        model: str | None = None,
        epochs: int | None = None,
    ) -> None:
        """Show the new-job form (over the jobs list) for a local file and/or an uploaded id.

        `path` alone: the file is checked and uploaded on create. `file_id` (with `path` as its
        local copy, if known): the uploaded file is used and `path` only prices the estimate.
        `model` and `epochs` carry what was chosen where the user came from (None: defaults).
        """
        from tuner.ui.screens.new_job import NewJobScreen

        if self.current_mode != "jobs":
            self.switch_mode("jobs")
        self.push_screen(NewJobScreen(path=path, file_id=file_id, model=model, epochs=epochs))

    def open_job(self, job_id: str, *, just_created: bool = False) -> None:
        """Show one job, followed live, over the jobs list (in place of the form it came from)."""
        from tuner.ui.screens.job import JobScreen
        from tuner.ui.screens.new_job import NewJobScreen

        screen = JobScreen(job_id, just_created=just_created)
        if self.current_mode == "jobs" and isinstance(self.screen, NewJobScreen):
            self.switch_screen(screen)
            return
        if self.current_mode != "jobs":
            self.switch_mode("jobs")
        self.push_screen(screen)

    def open_chat(self, model: str | None = None) -> None:
        """Show the chat screen; with `model` (a fine-tuned model or checkpoint), chat with it."""
        from tuner.ui.screens.chat import ChatScreen

        self.switch_mode("chat")
        if model:
            for screen in self.get_screen_stack("chat")[:1]:
                if isinstance(screen, ChatScreen):
                    screen.use_model(model)

    def open_eval(
        self,
        *,
        file: Path | None = None,
        models: Sequence[str] = (),
        job: str | None = None,
        profile: str | None = None,
        note: str | None = None,
    ) -> None:
        """Show the Eval screen, its setup starting from `file`, `models` (`MODEL@PROFILE`, the
        first the baseline) and `job` on `profile` (its validation file, fetched when run, is
        the file unless one is given); `note` is said above the setup. The one way in: `e` on a
        JSONL, `E` on a job, a moved job."""
        from tuner.ui.screens.eval import EvalScreen

        self.action_show("eval")
        for screen in self.get_screen_stack("eval")[:1]:
            if isinstance(screen, EvalScreen):
                screen.preset(file=file, models=models, job=job, profile=profile, note=note)
