"""Two part nets side by side, in the same run: LIP scores on viton-val, cihp_samples and ccp val mapped to LIP.

For each net (``--old``, ``--new``: an ``.onnx`` with its card beside it, or a shipped name):

* viton-val, all photos: the part net alone (labels inside the true person mask) and the default
  method with ``parts=lip`` (what ``bodyseg eval --data viton-val`` measures);
* cihp_samples: the default method with ``parts=lip`` (5 hand-labelled everyday photos);
* ccp val mapped to LIP (``--ccp-lip``: the folder ``tools/ccp_to_lip.py`` wrote; its ``val`` split
  only, never trained on): the net alone and the default method.

Prints a Markdown table of mIoU, pixel accuracy, mean class accuracy and fwIoU per net and set, then
per-class IoU of the default method on each set.

Usage:
    python tools/ccp_to_lip.py --out runs/ccp-lip
    OMP_NUM_THREADS=1 python benchmarks/parts_ccp.py --old runs/partsccp-old/part-net-lip.onnx \\
        --new src/bodyseg/weights/part-net-lip.onnx --ccp-lip runs/ccp-lip
    # one net, two settings of the default method:
    OMP_NUM_THREADS=1 python benchmarks/parts_ccp.py --old part-net-lip --old-options parts_flip=false \\
        --new part-net-lip --ccp-lip runs/ccp-lip
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from bodyseg.datasets import open_dataset
from bodyseg.metrics import PartMeter, per_class_rows
from bodyseg.models.part_net import PartNet
from bodyseg.parts import LIP
from bodyseg.segmenters import create
from bodyseg.segmenters.bodyseg.parts import labels_in_mask
from bodyseg.segmenters.registry import parse_option_pairs

log = logging.getLogger("parts_ccp")


def net_alone(net: PartNet, dataset) -> dict:  # noqa: ANN001
    """The part net on each whole photo, labels inside the true person mask."""
    meter = PartMeter(LIP.names)
    for sample in dataset:
        meter.update(labels_in_mask(net.probabilities(sample.load_image()), sample.mask), sample.parts.labels)
    return meter.compute()


def pipeline(segmenter, dataset) -> dict:  # noqa: ANN001
    """The default method with parts on each photo, scored against the photo's part map."""
    meter = PartMeter(LIP.names)
    for sample in dataset:
        labels = segmenter.segment(sample.load_image()).parts.labels
        meter.update(np.minimum(labels, LIP.num_classes - 1), sample.parts.labels)
    return meter.compute()


def score_line(name: str, scores: dict) -> str:
    return (
        f"| {name} | {scores['images']} | {100 * scores['mean_iou']:.1f} | {100 * scores['pixel_accuracy']:.1f} | "
        f"{100 * scores['mean_class_accuracy']:.1f} | {100 * scores['fw_iou']:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="the baseline part net (.onnx with its card)")
    parser.add_argument("--new", required=True, help="the new part net (.onnx with its card)")
    parser.add_argument("--ccp-lip", type=Path, required=True, help="the folder tools/ccp_to_lip.py wrote")
    parser.add_argument("--every", type=int, default=1, help="every Nth photo of each set (default all)")
    parser.add_argument(
        "--old-options",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="default-method options for the old net's run (e.g. parts_flip=false)",
    )
    parser.add_argument("--new-options", nargs="*", default=[], metavar="KEY=VALUE", help="the same for the new net")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    sets = {
        "viton-val": open_dataset("viton-val", every=args.every),
        "cihp_samples": open_dataset("cihp-samples"),
        "ccp-lip val": open_dataset(args.ccp_lip, split="val", every=args.every),
    }
    results: dict[tuple[str, str, str], dict] = {}
    for label, weights, options in (("old", args.old, args.old_options), ("new", args.new, args.new_options)):
        net = PartNet.load(weights)
        with create("bodyseg", parts="lip", **parse_option_pairs(options)) as segmenter:
            segmenter.models.parts = net
            for name, dataset in sets.items():
                if name != "cihp_samples":
                    results[(label, name, "net alone")] = net_alone(net, dataset)
                results[(label, name, "default method")] = pipeline(segmenter, dataset)

    print("| net | set | how | images | mIoU % | pixel acc. % | mean class acc. % | fwIoU % |")
    print("|---|---|---|---|---|---|---|---|")
    for (label, name, how), scores in results.items():
        print(score_line(f"{label} | {name} | {how}", scores))
    print()
    columns = [(label, name) for name in sets for label in ("old", "new")]
    print("| class | " + " | ".join(f"{name} {label}" for label, name in columns) + " |")
    print("|---|" + "---|" * len(columns))
    rows = [per_class_rows(results[(label, name, "default method")]) for label, name in columns]
    for i, name in enumerate(LIP.names):
        cells = [("n/a" if np.isnan(r[i]["iou"]) else f"{100 * r[i]['iou']:.1f}") for r in rows]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
