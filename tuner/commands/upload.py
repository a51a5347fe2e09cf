"""`tuner upload FILE`: check a training file, then upload it for fine-tuning.

Exit 0 with the file id (or the file object with `--json`); 1 when the file has errors (unless
`--force`); 2 for an unreadable file, a missing key or a service that refused or cannot be reached.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tuner.commands._service import (
    add_service_options,
    print_json,
    run_service,
    upload_local_file,
)
from tuner.data.visible_text import visible_line

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "upload",
        help="validate a JSONL training file and upload it (purpose fine-tune)",
        description="Validate a JSONL training file and upload it for fine-tuning. Files over "
        "512 MB go through the Uploads API in 64 MB parts.",
    )
    p.add_argument("file", type=Path, help="the JSONL training file")
    p.add_argument("--force", action="store_true", help="upload even if validation finds errors")
    add_service_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    async def work(service: FineTuningService) -> int:
        show_progress = sys.stderr.isatty() and not args.json
        uploaded = await upload_local_file(
            service, args.file, force=args.force, show_progress=show_progress
        )
        if args.json:
            print_json(uploaded)
        else:
            status = f"  {uploaded.status}" if uploaded.status else ""
            line = f"{uploaded.id}  {uploaded.filename}  {uploaded.bytes} bytes{status}"
            print(visible_line(line))
        return 0

    return run_service("upload", args, work)
