"""Quick benchmark of the classical methods, each with the pose prior and with the centre prior.

Prints one Markdown table: mean per-image IoU and median milliseconds per image (the time of
``Segmenter.segment``, the pose model included for ``prior=pose``) for every method x prior x data
set, then how much the pose-seeded variant beats the unseeded one.

Example (from the project root, on the shared data sets)::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/classical_quick.py
    OMP_NUM_THREADS=1 python benchmarks/classical_quick.py --sets ccp-train --limit 30 --methods kmeans
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections import defaultdict

from tqdm import tqdm

from bodyseg.datasets import open_dataset
from bodyseg.metrics import iou
from bodyseg.segmenters import create
from bodyseg.segmenters.mediapipe import PoseSegmenter
from bodyseg.segmenters.registry import parse_method_spec

METHODS = ("kmeans", "meanshift", "grabcut", "slic-graphcut", "gmm")
PRIORS = ("pose", "centre")
#: name -> open_dataset arguments; DAVIS is sampled every 4th frame.
SETS = {
    "ccp-val": {},
    "ccp-train": {},
    "davis_person": {"every": 4},
    "coco_person": {},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--priors", nargs="+", default=list(PRIORS))
    parser.add_argument("--sets", nargs="+", default=["ccp-val", "davis_person", "coco_person"])
    parser.add_argument("--limit", type=int, default=None, help="first N samples of each set (after sampling)")
    parser.add_argument("--option", action="append", default=[], help="METHOD:KEY=VALUE[:KEY=VALUE], repeatable")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    options: dict[str, dict[str, object]] = defaultdict(dict)
    for spec in args.option:
        method, pairs = parse_method_spec(spec)
        options[method].update(pairs)

    pose = PoseSegmenter()
    segmenters = {(m, p): create(m, prior=p, pose=pose, **options[m]) for m in args.methods for p in args.priors}
    scores: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    times: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    counts: dict[str, int] = {}
    start = time.perf_counter()
    for set_name in args.sets:
        dataset = open_dataset(set_name, limit=args.limit, **SETS.get(set_name, {}))
        counts[set_name] = len(dataset)
        for sample in tqdm(dataset, desc=set_name, unit="image"):
            rgb = sample.load_image()
            for (method, prior), segmenter in segmenters.items():
                seg = segmenter.segment(rgb)
                scores[method, prior, set_name].append(iou(seg.mask(), sample.mask))
                times[method, prior, set_name].append(seg.meta["ms"])

    header = "| method | prior | " + " | ".join(f"{s} IoU | {s} ms" for s in args.sets) + " |"
    print(f"images: {', '.join(f'{s} {n}' for s, n in counts.items())}; {time.perf_counter() - start:.0f} s in all\n")
    print(header)
    print("|" + "---|" * (2 + 2 * len(args.sets)))
    for method, prior in segmenters:
        cells = []
        for s in args.sets:
            cells.append(f"{statistics.fmean(scores[method, prior, s]):.3f}")
            cells.append(f"{statistics.median(times[method, prior, s]):.0f}")
        print(f"| {method} | {prior} | " + " | ".join(cells) + " |")
    if set(PRIORS) <= set(args.priors):
        print("\npose minus centre, mean IoU:")
        print("| method | " + " | ".join(args.sets) + " |")
        print("|" + "---|" * (1 + len(args.sets)))
        for method in args.methods:
            gains = [
                statistics.fmean(scores[method, "pose", s]) - statistics.fmean(scores[method, "centre", s])
                for s in args.sets
            ]
            print(f"| {method} | " + " | ".join(f"{g:+.3f}" for g in gains) + " |")
    for segmenter in segmenters.values():
        segmenter.close()
    pose.close()


if __name__ == "__main__":
    main()
