"""Mean per-image IoU and Dice of trained zoo nets (exported ONNX + model card) on the validation splits.

The nets run through the `net` segmenter's code (onnxruntime, letterboxed to the card's input
size), on data none of them was trained on: ccp val, pfcn-val and picsart-val by default.

    OMP_NUM_THREADS=1 python benchmarks/nets_accuracy.py runs/icnet-128/icnet.json [--data
    ccp-val,pfcn-val,picsart-val,davis_person]

With ``--write-card`` the figures are also stored in each model card, under ``metrics`` as
``<data set>:net`` (mean per-image IoU and Dice through the net segmenter at threshold 0.5): the
card then carries what the shipped file measured, beside the validation figures of training.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bodyseg.datasets import open_dataset
from bodyseg.metrics import dice, iou
from bodyseg.models.card import write_card
from bodyseg.segmenters.net import NetSegmenter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cards", nargs="+", help="model cards (.json beside their .onnx)")
    parser.add_argument("--data", default="ccp-val,pfcn-val,picsart-val")
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument(
        "--write-card", action="store_true", help="store the figures in each model card (metrics '<data set>:net')"
    )
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
            scores.append(tuple(statistics.mean(values) for values in zip(*per_image, strict=False)))
        cells = " | ".join(f"{mean_iou:.3f} / {mean_dice:.3f}" for mean_iou, mean_dice in scores)
        print(f"| {segmenter.card['architecture']} ({card}) | {cells} | {statistics.median(times):.1f} |")
        if args.write_card:
            store_in_card(
                Path(card),
                {
                    name: {"iou": round(mean_iou, 4), "dice": round(mean_dice, 4), "threshold": 0.5}
                    for name, (mean_iou, mean_dice) in zip(names, scores, strict=False)
                },
            )


def store_in_card(card_path: Path, measured: dict[str, dict[str, float]]) -> None:
    """Add ``<data set>:net`` entries to the card's metrics (the ONNX file and its sha256 are untouched)."""
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["metrics"].update({f"{name}:net": scores for name, scores in measured.items()})
    write_card(card, card_path)


if __name__ == "__main__":
    main()
