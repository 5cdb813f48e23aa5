"""Mean per-image IoU and Dice of trained zoo nets (exported ONNX + model card) on the validation splits.

The nets run through the `net` segmenter's code (onnxruntime, letterboxed to the card's input
size), on data none of them was trained on: ccp val, pfcn-val and picsart-val by default.

    OMP_NUM_THREADS=1 python benchmarks/nets_accuracy.py /work/runs/icnet-128/icnet.json [--data ccp-val,pfcn-val,picsart-val,davis_person]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bodyseg.datasets import open_dataset
from bodyseg.metrics import dice, iou
from bodyseg.segmenters.net import NetSegmenter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cards", nargs="+", help="model cards (.json beside their .onnx)")
    parser.add_argument("--data", default="ccp-val,pfcn-val,picsart-val")
    parser.add_argument("--every", type=int, default=1)
    args = parser.parse_args()
    names = args.data.split(",")
    print("| net | " + " | ".join(f"{name} IoU / Dice" for name in names) + " | ms per image |")
    print("|---|" + "---:|" * (len(names) + 1))
    for card in args.cards:
        segmenter = NetSegmenter(weights=card)
        scores, times = [], []
        for name in names:
            dataset = open_dataset(name, every=args.every)
            per_image = []
            for sample in dataset:
                rgb = sample.load_image()
                start = time.perf_counter()
                seg = segmenter.segment(rgb)
                times.append((time.perf_counter() - start) * 1000)
                truth = sample.mask > 0
                per_image.append((iou(seg.mask(), truth), dice(seg.mask(), truth)))
            scores.append(tuple(statistics.mean(values) for values in zip(*per_image)))
        cells = " | ".join(f"{mean_iou:.3f} / {mean_dice:.3f}" for mean_iou, mean_dice in scores)
        print(f"| {segmenter.card['architecture']} ({card}) | {cells} | {statistics.median(times):.1f} |")


if __name__ == "__main__":
    main()
