"""Counting tokens offline, exactly where the encoding is known."""
