"""`tuner upload FILE`: check a training file, then upload it for fine-tuning.

Exit 0 with the file id (or the file object with `--json`, with `"reused"`); 1 when the file has
errors (unless `--force`); 2 for an unreadable file, a missing key or a service that refused or
cannot be reached. A file the service already holds from an earlier upload (the same bytes, still
there) is not uploaded again: its id is the answer, and stderr says so (`--force-upload` uploads
it again).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tuner.commands._service import (
    add_force_upload_option,
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
    add_force_upload_option(p)
    add_service_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    async def work(service: FineTuningService) -> int:
        show_progress = sys.stderr.isatty() and not args.json
        uploaded = await upload_local_file(
            service,
            args.file,
            force=args.force,
            show_progress=show_progress,
            reuse=not args.force_upload,
        )
        remote = uploaded.file
        if args.json:
            print_json({**remote.to_json(), "reused": uploaded.reused})
            return 0
        if uploaded.reused:
            print(visible_line(uploaded.describe(args.file)), file=sys.stderr)
        status = f"  {remote.status}" if remote.status else ""
        print(visible_line(f"{remote.id}  {remote.filename}  {remote.bytes} bytes{status}"))
        return 0

    return run_service("upload", args, work)
