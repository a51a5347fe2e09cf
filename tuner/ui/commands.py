"""Command palette providers, one per domain: files, work on the current file, screens, connection.

A command only appears when it can run: "Upload" only on a screen that has an `upload`
action, "Go to dataset" only once a file is open. That is how screens add palette entries
without touching this module: give the screen the action.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from tuner.data.data_files import is_prompt_file, walk_data_files
from tuner.data.visible_text import visible_line
from tuner.ui.app_protocol import TunerHost, app_host


@dataclass(frozen=True, slots=True)
class Command:
    text: str
    help: str
    run: Callable[[], Any]


class _CommandListProvider(Provider):
    """Fuzzy search over a list of `Command`s that `commands()` builds for the current state."""

    @property
    def tuner(self) -> TunerHost:
        return app_host(self.app)

    def commands(self) -> Iterator[Command]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for command in self.commands():
            shown = Content(visible_line(command.text))
            yield DiscoveryHit(shown, command.run, text=command.text, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands():
            score = matcher.match(command.text)
            if score > 0:
                shown = highlighted(matcher, command.text)
                yield Hit(score, shown, command.run, text=command.text, help=command.help)


def highlighted(matcher: Matcher, text: str) -> Content:
    """`text` as plain content with the letters `matcher` found highlighted. (Textual's own
    `Matcher.highlight` reads the text as markup: a file named `[b]x.jsonl` would lose its
    brackets, and `[@click=...]` in a name would become an action.)"""
    shown = visible_line(text)
    content = Content(shown)
    score, offsets = matcher.fuzzy_search.match(matcher.query, shown)
    for offset in offsets if score else ():
        if not shown[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class FileCommands(_CommandListProvider):
    """ "Open …" for every data file under the browser's folder (walked once, in a thread)."""

    async def startup(self) -> None:
        self._files = await asyncio.to_thread(walk_data_files, self.tuner.start_path)

    def commands(self) -> Iterator[Command]:
        root = self.tuner.start_path
        for path in self._files:
            shown = path.relative_to(root).as_posix()
            where = "Replay in chat" if is_prompt_file(path) else "Open in the dataset screen"
            yield Command(f"Open {shown}", where, partial(self.tuner.open_file, path))

    async def discover(self) -> Hits:
        # Listing every file before the user types would bury the other commands.
        for hit in [hit async for hit in super().discover()][:5]:
            yield hit


class WorkCommands(_CommandListProvider):
    """Actions on the current file, offered when the current screen can do them."""

    ACTIONS: tuple[tuple[str, str, str], ...] = (
        ("validate", "Validate current file", "Check the highlighted or open file"),
        ("convert", "Convert JSON to JSONL", "Write a .jsonl next to the .json file"),
        ("upload", "Upload current file", "Upload the file for fine-tuning"),
        ("new_job", "New fine-tuning job", "Create a job from an uploaded file"),
        ("cancel_job", "Cancel this job", "Training stops and cannot be restarted"),
        ("backup", "Back up fine-tuning", "Every job, its events and files, into a folder"),
        ("move", "Move to another service…", "This job's data and settings, converted, priced"),
        ("evaluate", "Evaluate this job's model", "Against its base, on its validation file"),
        ("evaluate_file", "Evaluate this file", "Models scored on it in the Eval screen"),
        # The chat screen's actions.
        ("replay", "Chat: replay a prompt file", "Each line becomes the next user turn"),
        ("compare", "Chat: compare with another model", "Both models get every turn"),
        ("params", "Chat: system prompt and parameters", "Temperature, penalties, max tokens"),
        ("history", "Chat: past conversations", "Reopen a saved chat and continue it"),
        ("export", "Chat: export as training examples", "Pick and correct exchanges"),
        ("new_chat", "Chat: new conversation", "Start again with the same models"),
    )

    def commands(self) -> Iterator[Command]:
        screen = self.screen
        for action, text, help_text in self.ACTIONS:
            if hasattr(screen, f"action_{action}"):
                yield Command(text, help_text, partial(screen.run_action, action))


class ScreenCommands(_CommandListProvider):
    """Go to each screen that exists, plus help and the theme toggle."""

    def commands(self) -> Iterator[Command]:
        app = self.tuner
        for name, r in app.routes.items():
            if name != "dataset" or app.last_dataset is not None:
                yield Command(
                    f"Go to {r.label.lower()}", f"Key: {r.key}", partial(app.action_show, name)
                )
        yield Command("Open chat", "Talk to a model", partial(app.action_show, "chat"))
        yield Command("Chat: switch model", "Pick the model to chat with", self._chat_model)
        if not hasattr(self.screen, "action_replay"):  # elsewhere: go to chat and do it there
            for action, text, help_text in (
                ("replay", "Chat: replay a prompt file", "Each line becomes the next user turn"),
                ("compare", "Chat: compare with another model", "Both models get every turn"),
            ):
                yield Command(text, help_text, partial(self._in_chat, action))
        yield Command("Help: keys", "Every key of this screen", app.action_help)
        yield Command("Toggle light/dark theme", "Saved in settings", app.action_toggle_theme)

    def _chat_model(self) -> None:
        self._in_chat("pick_model")

    def _in_chat(self, action: str) -> None:
        app = self.tuner
        app.open_chat()
        for screen in self.app.get_screen_stack("chat")[:1]:
            screen.call_after_refresh(screen.run_action, action)


class ConnectionCommands(_CommandListProvider):
    """Switch the active profile or the default base model."""

    def commands(self) -> Iterator[Command]:
        app = self.tuner
        for name in sorted(app.settings.profiles):
            yield Command(
                f"Switch profile: {name}", "Use this connection", partial(app.switch_profile, name)
            )
        for model in app.catalog().models:
            yield Command(
                f"Default model for estimates: {model.id}",
                "The base model new jobs and cost estimates start from",
                partial(app.set_default_model, model.id),
            )
