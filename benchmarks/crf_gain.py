"""Edge refinement of the default segmenter's probability: none vs guided filter vs dense CRF.

On the first 50 images of ccp-val and the first 40 of pfcn_portrait, the default pipeline runs
with ``edges="none"`` and with ``edges="guided"`` (the shipped default). The raw probability is
then refined by the pipeline's guided filter (``bodyseg.refine.edges.refine_edges``, timed alone) and by
``bodyseg.refine.crf.dense_crf`` (default settings unless ``--crf`` says otherwise). Prints one
Markdown table: mean per-image IoU and boundary F (2 px), median milliseconds of the refinement
step alone and of the whole pipeline with it. The guided row's accuracy is the pipeline's own
``edges="guided"`` output.

Example (from the project root, on the shared data sets)::

    OMP_NUM_THREADS=1 python benchmarks/crf_gain.py | tee docs/bench/crf.md
    OMP_NUM_THREADS=1 python benchmarks/crf_gain.py --sets ccp-val=10 --crf bilateral_sxy=30
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
from tqdm import tqdm

from bodyseg.datasets import open_dataset
from bodyseg.errors import InputError
from bodyseg.metrics import boundary_f_score, iou
from bodyseg.refine.crf import dense_crf
from bodyseg.refine.edges import refine_edges
from bodyseg.segmenters import create
from bodyseg.segmenters.registry import parse_option_pairs

#: Data set -> how many of its first images to use.
SETS = {"ccp-val": 50, "pfcn_portrait": 40}
ROWS = ("none", "guided", "crf")


def timed(fn: Callable[..., np.ndarray], *args: Any, **kwargs: Any) -> tuple[np.ndarray, float]:
    """``fn(*args, **kwargs)`` and the milliseconds it took."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, (time.perf_counter() - start) * 1000.0


def measure_set(
    name: str, limit: int, crf_options: dict[str, Any], segmenters: dict[str, Any]
) -> dict[str, dict[str, list[float]]]:
    """Per refinement: lists of IoU, BF, refine ms and total ms over the set's first ``limit`` images."""
    scores: dict[str, dict[str, list[float]]] = {row: defaultdict(list) for row in ROWS}
    largest_gap = 0.0
    for sample in tqdm(open_dataset(name, limit=limit), desc=name, unit="image", file=sys.stderr):
        rgb = sample.load_image()
        raw = segmenters["none"].segment(rgb)
        pipeline_guided = segmenters["guided"].segment(rgb).prob
        guided, guided_ms = timed(refine_edges, rgb, raw.prob)
        largest_gap = max(largest_gap, float(np.abs(guided - pipeline_guided).max()))
        crf, crf_ms = timed(dense_crf, rgb, raw.prob, **crf_options)
        for row, prob, ms in (("none", raw.prob, 0.0), ("guided", pipeline_guided, guided_ms), ("crf", crf, crf_ms)):
            mask = prob > 0.5
            scores[row]["iou"].append(iou(mask, sample.mask))
            scores[row]["bf"].append(boundary_f_score(mask, sample.mask))
            scores[row]["ms"].append(ms)
            scores[row]["total"].append(raw.meta["ms"] + ms)
    if largest_gap > 1e-4:
        logging.warning(
            "%s: refine_edges(raw) differs from the pipeline's edges='guided' by up to %.3g", name, largest_gap
        )
    return scores


def markdown(results: dict[str, dict[str, dict[str, list[float]]]]) -> str:
    """One row per data set and refinement."""
    labels = {"none": "none", "guided": "guided filter (default)", "crf": "dense CRF on the raw prob"}
    lines = [
        "| data set | refinement | IoU | BF (2 px) | refine ms | pipeline + refine ms |",
        "|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        for row in ROWS:
            s = rows[row]
            lines.append(
                f"| {name} ({len(s['iou'])}) | {labels[row]} | {statistics.fmean(s['iou']):.4f} | "
                f"{statistics.fmean(s['bf']):.4f} "
                f"| {statistics.median(s['ms']):.0f} | {statistics.median(s['total']):.0f} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets",
        nargs="+",
        default=[f"{k}={v}" for k, v in SETS.items()],
        metavar="NAME=N",
        help="data sets and how many images of each",
    )
    parser.add_argument(
        "--crf", action="append", default=[], metavar="KEY=VALUE", help="a dense_crf option, repeatable"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    crf_options = parse_option_pairs(args.crf)
    sets = {name: int(n) for name, _, n in (spec.partition("=") for spec in args.sets)}
    try:
        for name in sets:
            open_dataset(name, limit=1)
    except InputError as exc:
        print(f"skipped: the shared data sets are not here ({exc})")
        return 0
    segmenters = {"none": create("bodyseg", edges="none"), "guided": create("bodyseg", edges="guided")}
    start = time.perf_counter()
    results = {name: measure_set(name, n, crf_options, segmenters) for name, n in sets.items()}
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(
        f"Edge refinement of the default segmenter's probability (benchmarks/crf_gain.py; OMP_NUM_THREADS={threads}; "
        f"dense_crf options: {crf_options or 'defaults'}; {time.perf_counter() - start:.0f} s in all).\n"
    )
    print(
        "IoU and BF: means over images of the mask prob > 0.5; ms: medians over images; 'refine ms' is the "
        "refinement step alone.\n"
    )
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
