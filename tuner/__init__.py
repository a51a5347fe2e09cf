"""tuner: the OpenAI fine-tuning loop in a terminal.

Nothing heavy is imported here on purpose: `tuner validate` and the first frame of the app must
not pay for Textual, the SDK or tiktoken before they need them.

tuner's log records go nowhere unless something configures logging (a test run does): without
this handler Python's last-resort handler would print warnings and tracebacks to the terminal,
over the app's screen or a command's output.
"""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"
