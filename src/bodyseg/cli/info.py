"""Commands that tell rather than process: ``methods`` and ``example``."""

from __future__ import annotations

import argparse
import logging
import shutil
from pathlib import Path

from bodyseg.errors import OutputError
from bodyseg.segmenters import DEFAULT_METHOD, available

log = logging.getLogger("bodyseg")


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    methods = subparsers.add_parser(
        "methods",
        help="list the segmenters, a line each",
        description="List the registered segmenters (use one with --method NAME).",
    )
    methods.set_defaults(run=run_methods)
    example = subparsers.add_parser(
        "example",
        help="copy the bundled example photo here",
        description="Copy the bundled example photo (NASA astronaut portrait, public domain) to try the commands on.",
    )
    example.add_argument(
        "destination",
        nargs="?",
        default="astronaut.jpg",
        help="a file name, or a folder (ending in / or without a suffix; made if missing) to copy it into "
        "(default %(default)s)",
    )
    example.add_argument("--overwrite", action="store_true", help="replace the destination if it exists")
    example.set_defaults(run=run_example)


def run_methods(args: argparse.Namespace) -> int:
    names = available()
    width = max(map(len, names))
    for name, summary in names.items():
        mark = "*" if name == DEFAULT_METHOD else " "
        print(f"{mark} {name:<{width}}  {summary}")
    print("\n* the default. Pick one with --method NAME, options with --option KEY=VALUE.")
    return 0


def run_example(args: argparse.Namespace) -> int:
    from bodyseg import example_image

    destination = Path(args.destination)
    if destination.is_dir() or args.destination.endswith(("/", "\\")) or not destination.suffix:
        destination.mkdir(parents=True, exist_ok=True)
        destination = destination / "astronaut.jpg"
    if destination.exists() and not args.overwrite:
        raise OutputError(f"{destination}: exists already; pass --overwrite to replace it")
    try:
        shutil.copyfile(example_image(), destination)
    except OSError as exc:
        raise OutputError(f"{destination}: cannot write it ({exc.strerror}); choose another place") from None
    print(destination)
    return 0
