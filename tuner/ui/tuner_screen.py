"""The base of tuner's screens: a Textual `Screen` that knows its app as a `TunerHost`.

Every screen asks the app for the session, the settings and navigation; `self.tuner` gives the
app typed as what a screen may ask of it (`tuner.ui.app_protocol`), so no screen names the app's
class or casts to it.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import Screen

from tuner.ui.app_protocol import TunerHost, app_host

ResultT = TypeVar("ResultT")


class TunerScreen(Screen[ResultT]):
    """A screen of tuner's app."""

    @property
    def tuner(self) -> TunerHost:
        """The app, as what a screen may ask of it."""
        return app_host(self.app)
