"""Pure dataset logic: reading JSONL, validation rules, tokens, the model catalog, estimates.

No Textual and no network here (a test checks it in a fresh interpreter), so every rule can be
tested without a screen and used headless by `tuner validate`.
"""
