"""`tuner emulator`: the local OpenAI-compatible server, in the foreground.

Point any OpenAI client at it (`OPENAI_BASE_URL=http://127.0.0.1:PORT/v1`) to try a whole
fine-tuning loop with no account: jobs run on a compressed clock, `--speed` compresses it more.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "emulator",
        help="run a local OpenAI-compatible server for demos and scripts",
        description="Serve the fine-tuning, files and chat endpoints on 127.0.0.1 from memory.",
    )
    p.add_argument("--port", type=int, default=8765, help="port to listen on (0: any free port)")
    p.add_argument(
        "--speed", type=float, default=1.0, help="divide every simulated delay by this factor"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tuner.emulator import serve_forever

    if args.speed <= 0:
        print("tuner emulator: --speed must be greater than 0", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"tuner emulator: --port {args.port} is not a port number", file=sys.stderr)
        return 2
    try:
        serve_forever(args.port, args.speed)
    except OSError as exc:
        print(f"tuner emulator: cannot listen on port {args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0
