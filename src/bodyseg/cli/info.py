"""Commands that tell rather than process: ``methods`` and ``example``."""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import textwrap
from pathlib import Path

from bodyseg.errors import OutputError
from bodyseg.segmenters import DEFAULT_METHOD, available, segmenter_class

log = logging.getLogger("bodyseg")


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    methods = subparsers.add_parser(
        "methods",
        help="list the methods and their options",
        description="List the registered methods, each with its options, their defaults and what they do "
        "(use one with --method NAME, set an option with --option KEY=VALUE).",
        epilog="examples:\n  bodyseg methods\n  bodyseg methods bodyseg kmeans",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    methods.add_argument("names", nargs="*", metavar="NAME", help="only these methods (default: all)")
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


def plain(text: str) -> str:
    """Docstring markup made plain for a terminal.

    Example:
        >>> plain('``"auto"`` (see :class:`PeopleSegmenter`, :mod:`bodyseg.models.refiner`)')
        '"auto" (see PeopleSegmenter, bodyseg.models.refiner)'
    """
    text = re.sub(r":\w+:`~?\.?([^`]+)`", r"\1", text)
    return text.replace("``", "")


def run_methods(args: argparse.Namespace) -> int:
    """Each method, its summary, and its options with their defaults and a line of help."""
    from bodyseg.segmenters.registry import COMMON_OPTIONS, describe_options

    for name in args.names:
        segmenter_class(name)  # an unknown name fails now, with the list of methods
    names = {name: summary for name, summary in available().items() if not args.names or name in args.names}
    for name, summary in names.items():
        mark = "*" if name == DEFAULT_METHOD else " "
        print(f"{mark} {name}: {summary}")
        for option, default, help_text in describe_options(name):
            line = f"{option}={default}" + (f": {plain(help_text)}" if help_text else "")
            print(textwrap.fill(line, width=110, initial_indent="      ", subsequent_indent="          "))
    note = (
        f"* the default. Pick a method with --method NAME and set its options with --option KEY=VALUE; every "
        f"method also takes {', '.join(COMMON_OPTIONS)}=guided|crf|none (edge refinement); `bodyseg methods NAME` "
        "shows one method."
    )
    print("\n" + textwrap.fill(note, width=110))
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
