"""Median ms per image of several segmenters, measured in one run, interleaved, against a baseline.

The machine is shared and noisy: every method sees the same images in the same rounds, and each
figure is also given as a ratio to the baseline measured alongside it.

    python benchmarks/speed.py --methods mediapipe-selfie,mediapipe-pose,bodyseg,bodyseg-fast --baseline
    mediapipe-pose,mediapipe-selfie
"""

from __future__ import annotations

import argparse
import statistics
import time

from bodyseg.datasets import open_dataset
from bodyseg.segmenters import create
from bodyseg.segmenters.registry import parse_method_spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", default="mediapipe-selfie,mediapipe-pose,bodyseg,bodyseg-fast")
    parser.add_argument(
        "--baseline",
        default="mediapipe-pose,mediapipe-selfie",
        help="methods (of --methods) every figure is divided by",
    )
    parser.add_argument("--data", default="ccp-val,davis_person,coco_person", help="data sets the images come from")
    parser.add_argument("--per-set", type=int, default=10, help="images taken from each data set (spread evenly)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    images = []
    for name in args.data.split(","):
        dataset = open_dataset(name)
        step = max(1, len(dataset) // args.per_set)
        images += [dataset[i].load_image() for i in range(0, len(dataset), step)[: args.per_set]]
    specs = args.methods.split(",")
    segmenters = {spec: create(name, **options) for spec, (name, options) in ((s, parse_method_spec(s)) for s in specs)}
    for segmenter in segmenters.values():  # warm up: first calls allocate
        segmenter.segment(images[0])
    times: dict[str, list[float]] = {spec: [] for spec in specs}
    for _ in range(args.rounds):
        for image in images:
            for spec, segmenter in segmenters.items():
                start = time.perf_counter()
                segmenter.segment(image)
                times[spec].append((time.perf_counter() - start) * 1000)
    baselines = {name: statistics.median(times[name]) for name in args.baseline.split(",")}
    print(f"{len(images)} images ({args.data}, {args.per_set} each) x {args.rounds} rounds, interleaved")
    print("| method | median ms | " + " | ".join(f"x {name}" for name in baselines) + " |")
    print("|---|---:|" + "---:|" * len(baselines))
    for spec in specs:
        median = statistics.median(times[spec])
        print(f"| {spec} | {median:.1f} | " + " | ".join(f"{median / base:.2f}" for base in baselines.values()) + " |")


if __name__ == "__main__":
    main()
