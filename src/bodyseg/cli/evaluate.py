"""``bodyseg eval``: score one method on data sets with ground truth, per data set."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from bodyseg.bench import PER_IMAGE_FIELDS, WorstResults, format_summary, per_image_rows, run_cell, summarize, write_csv
from bodyseg.bench.parts import PartScorer, format_part_summary
from bodyseg.bench.runner import LazySegmenter, safe_name
from bodyseg.cli.common import add_method_options, chosen_method
from bodyseg.datasets import KNOWN_DATASETS, Dataset, open_dataset
from bodyseg.errors import InputError
from bodyseg.segmenters import DEFAULT_METHOD

log = logging.getLogger("bodyseg")

EXAMPLES = (
    """\
examples:
  bodyseg eval --method mediapipe-selfie --data ccp-val
  bodyseg eval --data coco_person,backgrounds --csv per_image.csv --save-overlays 10
  bodyseg eval --method mediapipe-pose --data my_photos/ --every 5 --limit 100
  bodyseg eval --data viton-val,cihp-samples    # part sets: + mIoU, per-class IoU and accuracy

A data set is a folder (images/ + masks/, instances/ or parts/ with the same stems; a folder of
<sequence>/images/ is video; images/ alone is person-free), a COCO .json, or a name found under the
data root ($BODYSEG_DATASETS, else ../shared/datasets beside the repository):
  """
    + ", ".join(KNOWN_DATASETS)
    + ", <folder>-<split>, davis_person/<sequence>"
)


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Register ``eval``."""
    parser = subparsers.add_parser(
        "eval",
        help="score a method against ground truth, per data set",
        description="Segment every image of each data set and print its scores: IoU (mean per image and pooled),\n"
        "Dice, precision, recall, boundary F, HD95; mask AP with instances; dtSSD on video; the share of\n"
        "pixels called person on person-free sets; median ms per image and peak memory; on part sets (viton-val,\n"
        "cihp-samples) mIoU, pixel accuracy, mean class accuracy, fwIoU and per-class IoU and accuracy.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_method_options(parser)
    add_data_options(parser)
    parser.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="write one row per image (id, iou, dice, bf, hd95, ms...) to find the worst cases",
    )
    parser.add_argument(
        "--save-overlays",
        type=int,
        default=0,
        metavar="N",
        help="draw the N worst results of each data set (prediction coloured, truth outlined in red)",
    )
    parser.add_argument(
        "--overlay-dir",
        type=Path,
        default=Path("eval-overlays"),
        metavar="DIR",
        help="where --save-overlays writes, one sub-folder per data set (default %(default)s)",
    )
    parser.set_defaults(run=run_eval)


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """``--data``, ``--limit``, ``--every`` and ``--data-root``, shared by ``eval`` and ``bench``."""
    parser.add_argument(
        "-d",
        "--data",
        action="append",
        required=True,
        metavar="DIR|NAME",
        help="data sets, comma-separated or repeated: folders, COCO .json files or known names",
    )
    parser.add_argument(
        "--limit", type=int, default=None, metavar="N", help="the first N samples of each data set (after --every)"
    )
    parser.add_argument("--every", type=int, default=1, metavar="N", help="every Nth sample only (default every one)")
    parser.add_argument(
        "--data-root",
        type=Path,
        default=None,
        metavar="DIR",
        help="where named data sets are found (default $BODYSEG_DATASETS, else ../shared/datasets)",
    )


def open_datasets(args: argparse.Namespace) -> list[Dataset]:
    """Open every data set of ``--data`` before any work, so a wrong name fails at once."""
    specs = [spec.strip() for value in args.data for spec in value.split(",") if spec.strip()]
    if not specs:
        raise InputError("--data names no data set; give a folder or a name such as ccp-val")
    datasets = [open_dataset(spec, root=args.data_root, limit=args.limit, every=args.every) for spec in specs]
    for dataset in datasets:
        if not len(dataset):
            raise InputError(
                f"data set {dataset.name!r} has no annotated images to score (check --limit/--every and its masks/)"
            )
    return datasets


def with_parts_for_part_sets(method: str, options: dict, datasets: list[Dataset]) -> dict:
    """The default method's options with ``parts=lip`` added when a data set has part maps (and no
    ``parts`` option was given), so ``bodyseg eval --data viton-val`` scores parts.

    Example:
        >>> with_parts_for_part_sets("bodyseg", {}, [])
        {}
    """
    if method != DEFAULT_METHOD or "parts" in options or not any(d.part_names for d in datasets):
        return options
    log.info("%s has part maps: scoring the default method with --option parts=lip", datasets[0].name)
    return {**options, "parts": "lip"}


def run_eval(args: argparse.Namespace) -> int:
    """Score the method on each data set; print the figures, write the CSV and overlays asked for."""
    method, options = chosen_method(args)
    datasets = open_datasets(args)
    options = with_parts_for_part_sets(method, options, datasets)
    cells = []
    with LazySegmenter(method, options) as get_segmenter:
        for dataset in datasets:
            worst = WorstResults(args.save_overlays)
            scorer = PartScorer(dataset.part_names) if dataset.part_names else None

            def on_result(*result, worst=worst, scorer=scorer) -> None:  # noqa: ANN002
                worst(*result)
                if scorer is not None:
                    scorer(*result)

            cell = run_cell(
                get_segmenter,
                dataset,
                threshold=args.threshold,
                on_result=on_result,
                progress=not args.quiet,
                method=method,
            )
            cells.append(cell)
            print(format_summary(summarize(cell), args.threshold), flush=True)
            if scorer is not None and scorer.meter.images:
                print(format_part_summary(scorer.compute()), flush=True)
            if args.save_overlays > 0:
                folder = args.overlay_dir / safe_name(dataset.name)
                print(f"  worst {len(worst.write(folder, args.threshold))} overlays in {folder}")
            print()
    if args.csv is not None:
        write_csv(args.csv, per_image_rows(cells), PER_IMAGE_FIELDS)
        print(f"per-image results: {args.csv}")
    return 2 if any(cell.failures for cell in cells) else 0
