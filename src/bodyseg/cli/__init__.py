"""The ``bodyseg`` command: one group, each command a thin function over the library.

Every error bodyseg raises on purpose becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bodyseg.cli import batch, bench, evaluate, images, info, parts, serve, train, video
from bodyseg.errors import BodysegError
from bodyseg.version import __version__

log = logging.getLogger("bodyseg")

#: Modules that add sub-commands; each has ``add_parsers(subparsers)``.
COMMAND_MODULES = [images, parts, info, evaluate, bench, video, train, batch, serve]

DESCRIPTION = """\
Segment people in photos: masks, background blur or replacement, cut-outs, overlays.

Start with:
  bodyseg example              # copy the bundled photo here (astronaut.jpg)
  bodyseg blur astronaut.jpg   # -> astronaut.blur.jpg
  bodyseg methods              # the segmenters you can pick with --method
"""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (all sub-commands)."""
    parser = argparse.ArgumentParser(
        prog="bodyseg", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"bodyseg {__version__}")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="store_true", help="say what is written and why")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="errors only")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_parsers(subparsers)
    for command in subparsers.choices.values():  # -v / -q also after the command: bodyseg blur a.jpg -q
        group = command.add_mutually_exclusive_group()
        group.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="say what is written and why"
        )
        group.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="errors only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bodyseg`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.quiet)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except BodysegError as exc:
        log.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        log.error("interrupted; finished outputs are kept, no partial file is left")
        return 130


def configure_logging(verbose: bool, quiet: bool) -> None:
    """bodyseg's messages on stderr: summaries and warnings by default, every file with -v, errors only with -q;
    other libraries' log lines only when they are warnings or worse."""
    from bodyseg.cli.common import SUMMARY

    level = logging.INFO if verbose else logging.ERROR if quiet else SUMMARY
    logging.basicConfig(level=level, format="bodyseg: %(message)s", stream=sys.stderr, force=True)
    for name in ("absl", "matplotlib", "PIL"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
