"""The chat screen's choice of models: the one to talk to (ctrl+o), and a second to compare.

Picking a model starts a new conversation with it (the last one stays on disk); ctrl+b adds a
second model that hears every turn from then on, or, when comparing, goes back to one. The
compared model may be another profile's (ctrl+o in the picker moves between profiles): its
service is opened by `ChatProfiles` for as long as a column needs it. Kept out of the screen
module because it is the dialogs' side of things: the screen's `threads` reactive follows the
outcome (the columns, their titles, the side-by-side layout).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tuner.api.chat.transcripts import CompareSide

if TYPE_CHECKING:
    from tuner.ui.modals.pick_model import ModelChoice
    from tuner.ui.screens.chat import ChatScreen


class ChatModelFlow:
    """Mixed into `ChatScreen`: the model picker and compare, over its `threads`."""

    def use_model(self: ChatScreen, model: str) -> None:
        """Chat with `model` (from `app.open_chat`): a new conversation, or on mount."""
        self._model_picked = True
        if not self.is_mounted:
            self._pending_model = model
            return
        self.run_worker(self._new_conversation([self._side(model)]), group="chat-ui")

    def _loader(self: ChatScreen) -> Callable[[], Any] | None:
        return self.profiles.models if self._connection_problem() is None else None

    def action_pick_model(self: ChatScreen) -> None:
        from tuner.ui.modals.pick_model import PickModelModal

        if self.busy:
            self.notify("Wait for the reply, or press esc to stop it", severity="warning")
            return
        current = self.threads[0].model if self.threads else None
        self.app.push_screen(
            PickModelModal(
                self._loader(),
                current=current,
                title="Chat with",
                note=self.profiles.retirement_note(),
            ),
            self._model_chosen,
        )

    async def _model_chosen(self: ChatScreen, choice: ModelChoice | None) -> None:
        if choice is None or not choice.model:
            return
        self._model_picked = True
        others = [CompareSide(t.model, t.profile) for t in self.threads[1:]]
        sides = [self._side(choice.model), *others]
        note = "new conversation" if len(sides) == 1 else "new comparison"
        await self._new_conversation(sides, note)

    def action_compare(self: ChatScreen) -> None:
        """Add a second model (both get every turn from now on), or go back to one."""
        from tuner.ui.modals.pick_model import PickModelModal

        if self.busy or self.replay_open:
            self.notify("Stop the reply or replay first (esc)", severity="warning")
            return
        if len(self.threads) > 1:
            first = self.threads[0]
            self.run_worker(
                self._new_conversation([self._side(first.model, first.profile)]), group="chat-ui"
            )
            self.notify("Compare off: a new conversation with one model")
            return
        if not self.threads:
            self.notify("Pick a model first: ctrl+o", severity="warning")
            return
        first = self.threads[0]
        active = self.active_profile
        self.app.push_screen(
            PickModelModal(
                self._loader(),
                title=f"Compare {first.model} with",
                note=self.profiles.retirement_note(),
                profile=active,
                label=self.profiles.label(active),
                others=self.profiles.others(),
            ),
            self._compare_chosen,
        )

    async def compare_with(self: ChatScreen, model: str, profile: str | None = None) -> None:
        """Compare the current model with `model` of `profile` (None: the active profile)."""
        if self.threads:
            first = self.threads[0]
            sides = [self._side(first.model, first.profile), self._side(model, profile)]
            await self._new_conversation(sides, "compare: every turn goes to both models")

    async def _compare_chosen(self: ChatScreen, choice: ModelChoice | None) -> None:
        if choice is not None and choice.model:
            await self.compare_with(choice.model, choice.profile)
        else:
            await self.release_services()  # a profile's models listed, none taken
