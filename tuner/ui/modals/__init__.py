"""Dialogs pushed over any screen: confirm (yes/no), prompt (one line of text), report (read)."""

from tuner.ui.modals.confirm import ConfirmModal
from tuner.ui.modals.prompt import PromptModal
from tuner.ui.modals.report import ReportModal

__all__ = ["ConfirmModal", "PromptModal", "ReportModal"]
