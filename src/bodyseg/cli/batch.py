"""The ``batch`` command: a whole collection of photos and videos on a Dask cluster, resumable.

A thin layer over :mod:`bodyseg.batch`: the options become a :class:`~bodyseg.batch.tasks.BatchSpec`,
the run's outcome becomes the exit code (0: every input done or finished before; 2: some failed).
Dask is imported only when the command runs, so the rest of the CLI works without it.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from bodyseg.batch.outputs import BATCH_EFFECTS, REPORT_NAME
from bodyseg.cli.common import add_effect_options, add_method_options, chosen_method
from bodyseg.effects import EFFECTS, parse_colour
from bodyseg.errors import InputError
from bodyseg.io.images import DEFAULT_MAX_PIXELS
from bodyseg.segmenters import check_finds_people

log = logging.getLogger("bodyseg")


EPILOG = f"""\
examples:
  bodyseg batch shots/ -o masks/                         # NAME.mask.png per photo, sub-folders mirrored
  bodyseg batch shots/ clips/ -o out/ --effect blur      # photos and videos (one task per video)
  bodyseg batch list.txt -o out/ --effect cutout --workers 4
  bodyseg batch 'shop/**/*.jpg' -o out/ --effect replace -b white
  bodyseg batch shots/ -o out/ --scheduler tcp://head:8786   # a running Dask cluster (see docs/batch.md)

Run it again after a crash or Ctrl-C: finished outputs are skipped, nothing is written twice.
The report ({REPORT_NAME}.csv and .json in OUT) lists every input with its status, error and seconds.
"""

#: Effect options the command has flags for, by the effect keyword they set.
EFFECT_FLAGS = ("threshold", "strength", "feather", "background", "colour", "opacity")


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``batch`` command."""
    parser = subparsers.add_parser(
        "batch",
        help="a folder, glob or list of photos and videos on a Dask cluster (local or yours), resumable",
        description="Segment many photos and videos in parallel on Dask workers (a local cluster by default), "
        "write each result atomically beside a mirrored folder layout, skip what is finished, and report every input.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="IN",
        help="folders (searched recursively), files, globs such as 'shots/**/*.jpg', "
        "or manifests (.txt: a path a line; .csv: a path column)",
    )
    parser.add_argument(
        "-o", "--output", metavar="OUT", type=Path, required=True, help="the output folder (made if missing)"
    )
    parser.add_argument(
        "-e",
        "--effect",
        choices=BATCH_EFFECTS,
        default="mask",
        help="what to write per input: "
        + "; ".join(f"{e.name}: {e.summary}" for e in EFFECTS.values())
        + "; people: a mask per person and COCO JSON; parts: body-part label ids (default %(default)s)",
    )
    add_method_options(parser, threshold=False)
    add_effect_options(
        parser, threshold=True, background_help="replace: an image (read by each worker: a path they see) or a colour"
    )
    _add_cluster_options(parser)
    parser.add_argument(
        "--overwrite", action="store_true", help="redo inputs whose output is finished (they are skipped by default)"
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="PATH",
        help=f"where the report goes (PATH.csv and PATH.json, or a folder); default OUT/{REPORT_NAME}.csv and .json",
    )
    parser.add_argument(
        "--max-megapixels",
        type=float,
        default=DEFAULT_MAX_PIXELS / 1e6,
        metavar="MP",
        help="refuse larger images and frames before decoding them (default %(default)g)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (it is shown on a terminal)")
    parser.set_defaults(run=run_batch_command)


def _add_cluster_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("cluster")
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running Dask scheduler, e.g. tcp://HOST:8786 (default: start a local cluster)",
    )
    group.add_argument(
        "--workers", type=int, default=None, metavar="N", help="local cluster: worker processes (default: one per core)"
    )
    group.add_argument(
        "--threads-per-worker",
        type=int,
        default=None,
        metavar="T",
        help="local cluster: threads per worker (default 1)",
    )
    group.add_argument(
        "--chunk-size",
        type=int,
        default=None,
        metavar="K",
        help="images per task (default: about 4 tasks per worker thread, at most 16); each video is a task",
    )


def chosen_effect_options(args: argparse.Namespace) -> dict[str, Any]:
    """The effect options given on the command line, checked against the effect before any work.

    Example:
        >>> chosen_effect_options(argparse.Namespace(effect="blur", threshold=None, strength=9.0, feather=None,
        ...                                          background=None, colour=None, opacity=None))
        {'strength': 9.0}
    """
    given = {name: getattr(args, name) for name in EFFECT_FLAGS if getattr(args, name) is not None}
    if args.effect == "replace" and "background" not in given:
        raise InputError("--effect replace needs --background IMAGE or COLOUR (e.g. -b beach.jpg or -b '#00b140')")
    accepted = EFFECTS[args.effect].options() if args.effect in EFFECTS else ()
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        flags = ", ".join(f"--{name}" for name in unknown)
        raise InputError(
            f"--effect {args.effect} takes no {flags}; "
            f"its options are: {', '.join('--' + o for o in accepted) or 'none'}"
        )
    background = given.get("background")
    if background is not None and not _looks_like_path(background):
        parse_colour(background)
    elif background is not None and not Path(background).is_file():
        raise InputError(
            f"{background}: no such background image; give an image path every worker can read, or a colour"
        )
    return given


def _looks_like_path(value: str) -> bool:
    return bool(Path(value).suffix) and (Path(value).exists() or "/" in value or "\\" in value)


def run_batch_command(args: argparse.Namespace) -> int:
    """Check every option, run the batch, return its exit code."""
    from bodyseg.batch.run import run_batch
    from bodyseg.batch.tasks import BatchSpec

    method, options = chosen_method(args)
    if args.effect == "people":
        check_finds_people(method, "--effect people")
    spec = BatchSpec.for_method(
        args.effect,
        method,
        method_options=options,
        effect_options=chosen_effect_options(args),
        max_pixels=int(args.max_megapixels * 1e6),
        overwrite=args.overwrite,
    )
    outcome = run_batch(
        args.inputs,
        args.output,
        spec,
        scheduler=args.scheduler,
        workers=args.workers,
        threads_per_worker=args.threads_per_worker,
        chunk_size=args.chunk_size,
        report=args.report,
        progress=False if args.no_progress else None,
    )
    return outcome.exit_code
