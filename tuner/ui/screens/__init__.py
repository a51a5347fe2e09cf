"""One module per screen. No screen module imports another: the app (`tuner.ui.app`) owns
navigation, and reaches each screen through `tuner.ui.routes` or a lazy import of its own."""
