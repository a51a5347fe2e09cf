"""tuner: the OpenAI fine-tuning loop in a terminal.

Nothing is imported here on purpose: `tuner validate` and the first frame of the app must not
pay for Textual, the SDK or tiktoken before they need them.
"""

__version__ = "0.1.0"
