"""``bodyseg bench``: methods x data sets, resumable, written as a table, CSV, JSON and a plot."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from bodyseg.bench import markdown_table, run_grid, summarize, write_plot, write_results
from bodyseg.bench.memory import PeakMemory
from bodyseg.cli.evaluate import add_data_options, open_datasets
from bodyseg.errors import InputError
from bodyseg.segmenters import check_options
from bodyseg.segmenters.registry import parse_method_spec

log = logging.getLogger("bodyseg")

EXAMPLES = """\
examples:
  bodyseg bench --methods mediapipe-selfie,mediapipe-pose --data ccp-val,davis_person,backgrounds
  bodyseg bench --methods mediapipe-selfie --data pfcn_portrait --every 4 --out bench-out/quick

Per-image results are cached in OUT/cells/<method>/<dataset>.jsonl: an interrupted run (Ctrl-C)
resumes where it stopped when run again; --force recomputes everything.
"""


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Register ``bench``."""
    parser = subparsers.add_parser(
        "bench",
        help="compare methods on data sets: table, CSV, JSON and plot",
        description="Run every method on every data set (one model per method, reused) and write results.md\n"
        "(IoU and ms per image), results.csv and results.json (every figure) and results.png (accuracy vs ms).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--methods",
        required=True,
        metavar="A,B,...",
        help="segmenters, comma-separated (see `bodyseg methods`); options after colons: bodyseg:tiles=false",
    )
    add_data_options(parser)
    parser.add_argument(
        "-o", "--out", type=Path, default=Path("bench-out"), metavar="DIR", help="output folder (default %(default)s)"
    )
    parser.add_argument(
        "-t",
        "--threshold",
        type=float,
        default=0.5,
        help="probability above which a pixel is person (default %(default)s)",
    )
    parser.add_argument("--force", action="store_true", help="recompute cells that are cached in OUT")
    parser.set_defaults(run=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    """Run the grid, then write and print the results."""
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if not methods:
        raise InputError("--methods names no method; give one or more, e.g. --methods mediapipe-selfie,mediapipe-pose")
    for method in methods:
        check_options(*parse_method_spec(method))
    datasets = open_datasets(args)
    cells = run_grid(methods, datasets, args.out, threshold=args.threshold, force=args.force, progress=not args.quiet)
    summaries = [summarize(cell) for cell in cells]
    meta = {
        "command": bench_command(args, methods, datasets),
        "threshold": args.threshold,
        "memory": f"peak RSS above each run's start, model loaded, in MB ({PeakMemory().method})",
        "cpus": os.cpu_count(),
    }
    paths = write_results(args.out, summaries, meta)
    paths.append(write_plot(args.out / "results.png", summaries))
    print(markdown_table(summaries))
    print("\nwrote " + ", ".join(str(p) for p in paths))
    return 2 if any(cell.failures for cell in cells) else 0


def bench_command(args: argparse.Namespace, methods: list[str], datasets: list) -> str:
    """The command line that reproduces this run."""
    parts = [
        "bodyseg bench",
        f"--methods {','.join(methods)}",
        f"--data {','.join(d.name for d in datasets)}",
        f"--out {args.out}",
    ]
    for flag, value, default in (
        ("--limit", args.limit, None),
        ("--every", args.every, 1),
        ("--threshold", args.threshold, 0.5),
    ):
        if value != default:
            parts.append(f"{flag} {value}")
    if args.data_root is not None:
        parts.append(f"--data-root {args.data_root}")
    return " ".join(parts)
