"""Headless sub-commands, one module each (`validate`, `convert`, `upload`, `jobs`, `chat`, ...).

Each module exposes `register(subparsers)` which adds its parser and sets `func` to a
`run(args) -> int` callable. Modules import their heavy dependencies inside `run`, so that
`tuner --help` and the app's first frame stay fast.
"""
