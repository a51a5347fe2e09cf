"""The top-level screens: which exist, the key that shows each, and where its class lives.

Each top-level screen is a Textual *mode* (see `tuner.ui.app`), reached by a single key. Targets
are "module:Class" strings imported on first use, so the first frame pays only for the files
browser, and the app reaches screens without any screen importing another.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class ScreenRoute:
    """A top-level screen: its mode name, default key, footer label and where its class lives.

    `binding_id` is the id users remap in the settings file's `[keys]` table. `needs_path`
    routes (the dataset screen) are built with `Class(path=...)` and only become reachable once
    a file has been opened. `in_footer` False: the key works everywhere but the footers, which
    have no room for every screen at 80 columns, leave it out (help and the palette list it).
    """

    name: str
    key: str
    label: str
    target: str
    needs_path: bool = False
    in_footer: bool = True

    @property
    def binding_id(self) -> str:
        return f"screen.{self.name}"

    def screen_class(self) -> type[Screen[Any]]:
        """Import and return the screen class."""
        module_name, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]


ROUTES: tuple[ScreenRoute, ...] = (
    ScreenRoute("files", "f", "Files", "tuner.ui.screens.files:FilesScreen"),
    ScreenRoute(
        "dataset", "d", "Dataset", "tuner.ui.screens.dataset:DatasetScreen", needs_path=True
    ),
    ScreenRoute("jobs", "j", "Jobs", "tuner.ui.screens.jobs:JobsScreen"),
    ScreenRoute("chat", "c", "Chat", "tuner.ui.screens.chat:ChatScreen"),
    ScreenRoute("eval", "e", "Eval", "tuner.ui.screens.eval:EvalScreen", in_footer=False),
    ScreenRoute(
        "settings", "s", "Settings", "tuner.ui.screens.settings:SettingsScreen", in_footer=False
    ),
)
