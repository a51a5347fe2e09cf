"""`tuner emulator`: the local OpenAI-compatible server, in the foreground.

Point any OpenAI client at it (`OPENAI_BASE_URL=http://127.0.0.1:PORT/v1`), an Azure or a
Together AI one at the base URLs it prints on start, to try a whole fine-tuning loop with no
account: jobs run faster than on a service, `--speed` makes them faster still (the times reported
stay at or before now). It accepts any API key unless `--key` names the one to require, and says
which on start;
`--seed` makes its ids and metrics the same on every run (for scripts that compare outputs).
`--latency S` makes every chat reply and embeddings request take S real seconds, and `--rpm N`
answers a key's N+1st request to a model within a minute with 429 and `Retry-After`: a
benchmark's slow, rate-limited service.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuner.emulator import Emulator

# Where the Together AI dialect is served: `Emulator.together_base_url` (a test keeps them equal).
TOGETHER_PATH = "/together"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "emulator",
        help="run a local OpenAI-compatible server for demos and scripts",
        description=(
            "Serve the fine-tuning, files and chat endpoints on 127.0.0.1 from memory, in each "
            "service's dialect. Base URLs: OpenAI http://127.0.0.1:PORT/v1; Azure "
            "http://127.0.0.1:PORT (classic, any api-version) and http://127.0.0.1:PORT/openai/v1"
            f"; Together AI http://127.0.0.1:PORT{TOGETHER_PATH} (as the demo's Together profile)."
            " Every one is printed on start."
        ),
    )
    p.add_argument("--port", type=int, default=8765, help="port to listen on (0: any free port)")
    p.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="divide every simulated delay by this factor (the clock keeps real time)",
    )
    p.add_argument(
        "--key",
        metavar="KEY",
        default=None,
        help="require this API key (default: accept any key)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="make ids, job seeds and metrics reproducible (default: random on each start)",
    )
    p.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds each chat reply and embeddings request takes (real time; default 0)",
    )
    p.add_argument(
        "--rpm",
        type=int,
        default=None,
        metavar="N",
        help="requests per minute per key and model, then 429 with Retry-After (default: no limit)",
    )
    p.set_defaults(func=run)


def emulator_from_args(args: argparse.Namespace) -> Emulator:
    """The (not yet started) emulator the command line asks for."""
    from tuner.emulator import Emulator

    return Emulator(
        port=args.port,
        speed=args.speed,
        api_key=args.key,
        seed=args.seed,
        latency=args.latency,
        rpm=args.rpm,
    )


def run(args: argparse.Namespace) -> int:
    from tuner.emulator import serve_in_foreground

    if args.speed <= 0:
        print("tuner emulator: --speed must be greater than 0", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"tuner emulator: --port {args.port} is not a port number", file=sys.stderr)
        return 2
    if args.latency < 0:
        print("tuner emulator: --latency must not be negative", file=sys.stderr)
        return 2
    if args.rpm is not None and args.rpm < 1:
        print("tuner emulator: --rpm must be at least 1", file=sys.stderr)
        return 2
    if args.key is not None and not args.key.strip():
        print("tuner emulator: --key must not be empty", file=sys.stderr)
        return 2
    try:
        serve_in_foreground(emulator_from_args(args))
    except OSError as exc:
        print(f"tuner emulator: cannot listen on port {args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0
