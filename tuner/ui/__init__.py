"""The Textual user interface: the app shell, screens, widgets, modals and palette commands.

Kept thin on purpose: screens call `tuner.data` and `tuner.api` and show their typed results;
they hold no dataset or service logic of their own. Nothing is imported here, so importing
`tuner.ui.app` pays only for what the first frame needs.
"""
