"""The line above the chat: the sampling parameters and system prompt every turn is sent with.

What the model is asked with changes its answers, so it is always in sight, with the key that
edits it (f2). While a typed parameter is one the service would refuse, the line says so and
that the last valid settings are still the ones used: a half-typed number never looks applied.
"""

from __future__ import annotations

from tuner.api.chat.session import ChatSettings
from tuner.data.fit_text import fit_words
from tuner.ui.outside import outside_line
from tuner.ui.widgets.fitted_line import FittedLine


class ChatSummary(FittedLine):
    """`temperature 0.7 · … · system: You are … · f2 edits`, fitted to the width."""

    def show(self, settings: ChatSettings, refused: str | None = None) -> None:
        """Show `settings`, or `refused` (the reason a typed value is not used) with them."""
        if refused:
            self.update(
                outside_line(f"⚠ {refused}: not used, still {settings.summary()} · f2 edits")
            )
            return
        system = settings.system_prompt
        shown = fit_words(" ".join(system.split()), 40) if system else "none"
        self.update(outside_line(f"{settings.summary()} · system: {shown} · f2 edits"))
