"""JSONL files: lines, JSON scanning and values, conversion, search, writing."""
