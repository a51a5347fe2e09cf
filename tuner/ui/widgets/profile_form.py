"""The settings screen's profile form: one line per field, the fields a service's kind uses.

Two reactives drive it. `profile` is the profile in the form (None: a new one): setting it
fills every field, empties the key field and the test line, and says whether a key is saved.
`kind` is the kind chosen (set by the Kind select, or by a profile loaded): it shows only the
fields that kind uses, the base URL's placeholder for it, and a new Azure profile's API version
(Microsoft's recommended `v1`). What kinds use is the tables below; the form never compares
kinds by name.

The key typed here is only read to be saved or tested (`typed_key`); the form never shows a
saved key, only whether one exists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Button, Input, Label, Select, Static

from tuner.config import Profile
from tuner.config.connections import address_refusal
from tuner.ui.outside import CONTROLS_SHOWN, outside_line

KINDS = (("OpenAI or compatible", "openai"), ("Azure OpenAI", "azure"), ("Together AI", "together"))
TEXT_FIELDS = ("name", "base_url", "azure_endpoint", "api_version", "organization", "project")
FIELD_LABELS = {
    "name": "Name",
    "base_url": "Base URL",
    "azure_endpoint": "Azure endpoint",
    "api_version": "API version",
    "organization": "Organization",
    "project": "Project",
}
PLACEHOLDERS = {
    "base_url": "default: https://api.openai.com/v1",
    "azure_endpoint": "https://NAME.openai.azure.com",
    "api_version": "v1 (the v1 API), or a date such as 2024-10-21",
    "organization": "optional",
    "project": "optional",
}
# The fields each kind of profile uses; the others are hidden (and not saved).
KIND_FIELDS = {
    "openai": ("base_url", "organization", "project"),
    "azure": ("azure_endpoint", "api_version"),
    "together": ("base_url",),
}
OPTIONAL_FIELDS = ("base_url", "azure_endpoint", "api_version", "organization", "project")
# A field a kind cannot do without, and what the form says when it is empty.
KIND_REQUIRED = {"azure": ("azure_endpoint", "An Azure profile needs its endpoint")}
# What a new profile of a kind starts with (Microsoft's recommended API for a new resource).
KIND_STARTS = {"azure": {"api_version": "v1"}}
BASE_URL_PLACEHOLDERS = {
    "openai": "default: https://api.openai.com/v1 (or a compatible host's URL)",
    "together": "default: https://api.together.ai",
}


class ProfileForm(VerticalScroll, can_focus=False):
    """Name, kind, the kind's fields, the API key, Save and Test connection, and what the
    test found. `key_state(profile)` says whether that profile has a key saved."""

    profile: reactive[Profile | None] = reactive(None, always_update=True, init=False)
    """The profile in the form; None: a new one. (Set again after a save: the form reloads.)"""
    kind: reactive[str] = reactive("openai", always_update=True, init=False)
    """The kind chosen: which fields show."""

    def __init__(
        self, key_state: Callable[[Profile], str], *, demo: bool = False, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.key_state = key_state
        self.demo = demo

    def compose(self) -> ComposeResult:
        if self.demo:
            yield Static(
                "The demo talks to its built-in emulator; profiles made here are "
                "kept only until you quit.",
                classes="hint",
            )
        yield from self._row(TEXT_FIELDS[0])
        with Horizontal(classes="row"):
            yield Label("Kind", classes="field-label")
            yield Select(KINDS, value="openai", allow_blank=False, compact=True, id="kind")
        for name in TEXT_FIELDS[1:]:
            yield from self._row(name)
        with Horizontal(classes="row"):
            yield Label("API key", classes="field-label")
            yield Input(
                password=True, placeholder="paste to save; never shown", compact=True, id="api_key"
            )
        with Horizontal(classes="row"):
            yield Label("", classes="field-label")
            yield Static("no key", id="key-state")
        with Horizontal(classes="row buttons"):
            yield Button("Save", id="save", variant="primary", compact=True)
            yield Button("Test connection", id="test", compact=True)
        yield Static("", id="test-result")

    def _row(self, name: str) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(FIELD_LABELS[name], classes="field-label")
            yield Input(
                placeholder=PLACEHOLDERS.get(name, ""),
                compact=True,
                id=name,
                highlighter=CONTROLS_SHOWN,
            )

    def _field(self, name: str) -> Input:
        return self.query_one(f"#{name}", Input)

    @property
    def editing(self) -> str | None:
        """The name of the profile in the form, as saved; None: a new one."""
        return self.profile.name if self.profile is not None else None

    def watch_profile(self, profile: Profile | None) -> None:
        for name in TEXT_FIELDS:
            self._field(name).value = (getattr(profile, name, None) if profile else None) or ""
        kind = profile.kind if profile else "openai"
        self.query_one("#kind", Select).value = kind
        self._field("api_key").value = ""
        self.show_result("")
        state = self.key_state(profile) if profile is not None else "no key"
        self.query_one("#key-state", Static).update(outside_line(state))
        self.kind = kind

    def watch_kind(self, kind: str) -> None:
        for name in OPTIONAL_FIELDS:
            field = self._field(name)
            if field.parent is not None:
                field.parent.display = name in KIND_FIELDS[kind]
        self._field("base_url").placeholder = BASE_URL_PLACEHOLDERS.get(kind, "")
        if self.profile is None:
            for name, value in KIND_STARTS.get(kind, {}).items():
                if not self._field(name).value:
                    self._field(name).value = value

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "kind":
            event.stop()
            self.kind = str(event.value)

    @property
    def typed_key(self) -> str:
        """The key pasted in the form (to save or to test with), stripped."""
        return self._field("api_key").value.strip()

    def clear_key(self) -> None:
        self._field("api_key").value = ""

    def show_result(self, text: RenderableType) -> None:
        """What the connection test found, or why the form cannot be tested."""
        self.query_one("#test-result", Static).update(text)

    def read(self, saved: Profile | None) -> Profile | str:
        """The profile the form describes (over `saved`, the one it edits, so what the form
        does not show is kept), or a sentence saying what is missing or wrong."""
        values = {name: self._field(name).value.strip() for name in TEXT_FIELDS}
        kind = str(self.query_one("#kind", Select).value)
        if not values["name"]:
            return "A profile needs a name"
        required = KIND_REQUIRED.get(kind)
        if required is not None and not values[required[0]]:
            return required[1]
        for name in OPTIONAL_FIELDS:
            if name not in KIND_FIELDS[kind]:
                values[name] = ""
        base = saved if saved is not None else Profile(name=values["name"])
        profile = dataclasses.replace(
            base,
            kind=kind,
            **{k: (v or None) for k, v in values.items() if k != "name"},
            name=values["name"],
        )
        return address_refusal(profile) or profile  # a URL no request could use is not saved
