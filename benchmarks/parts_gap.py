"""Where the part stage loses against the part net alone: the person mask, the crop, the sides.

On viton-val (every ``--every``-th photo) and cihp_samples, LIP mIoU of five readings of the same
shipped part net, each changing one thing on the way from the net alone to what the default method
gives (``parts=lip``):

* ``net alone, true mask``: the net on the whole photo, labels inside the photo's true person mask
  (what ``benchmarks/parts_ccp.py`` calls "net alone");
* ``net alone, our mask``: the same labels inside the default method's person mask instead;
* ``crop, true mask, net's sides``: the net on each person's crop as the default method cuts it,
  mirror-averaged, inside the true mask, left and right as the net says;
* ``crop, our mask, net's sides``: the same inside the default method's mask;
* ``crop, our mask, sides by pose`` (shipped): left and right by the person's landmarks.

Usage:
    OMP_NUM_THREADS=1 python benchmarks/parts_gap.py [--every 4]
"""

from __future__ import annotations

import argparse
import logging

import cv2
import numpy as np

from bodyseg.datasets import open_dataset
from bodyseg.metrics import PartMeter
from bodyseg.parts import LIP
from bodyseg.segmenters import create
from bodyseg.segmenters.bodyseg.parts import crop_box, crop_logits, labels_in_mask

READINGS = (
    "net alone, true mask",
    "net alone, our mask",
    "crop, true mask, net's sides",
    "crop, our mask, net's sides",
    "crop, our mask, sides by pose",
)


def crop_labels(rgb: np.ndarray, seg, net) -> np.ndarray:  # noqa: ANN001
    """HxW LIP labels of every person's crop as the part stage reads it, left and right as the net
    says, pasted together: each person's labels inside their mask, the rest of each crop around."""
    image = np.zeros(rgb.shape[:2], np.uint8)
    for person in seg.people:
        if not person.mask.any():
            continue
        x0, y0, x1, y1 = crop_box(person.box, rgb.shape[:2])
        logits, _ = crop_logits(net, rgb[y0:y1, x0:x1], flip=True)
        small = labels_in_mask(logits, np.ones(logits.shape[1:], bool))
        crop = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
        window = image[y0:y1, x0:x1]
        window[person.mask[y0:y1, x0:x1]] = crop[person.mask[y0:y1, x0:x1]]
        window[window == 0] = crop[window == 0]
    return image


def readings(rgb: np.ndarray, truth: np.ndarray, segmenter) -> dict[str, np.ndarray]:  # noqa: ANN001
    """The five label maps of one photo."""
    net = segmenter.models.parts
    seg = segmenter.segment(rgb)
    ours, true = seg.mask(), truth > 0
    alone = net.probabilities(rgb)
    net_sides = crop_labels(rgb, seg, net)
    return dict(
        zip(
            READINGS,
            (
                labels_in_mask(alone, true),
                labels_in_mask(alone, ours),
                np.where(true, net_sides, 0),
                np.where(ours, net_sides, 0),
                seg.parts.labels,  # what the default method gives
            ),
            strict=True,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=int, default=4, help="every n-th viton-val photo (default 4)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sets = {"viton-val": open_dataset("viton-val", every=args.every), "cihp_samples": open_dataset("cihp-samples")}
    limbs = [LIP.names.index(n) for n in ("left-arm", "right-arm", "left-leg", "right-leg", "left-shoe", "right-shoe")]
    print("| reading | " + " | ".join(f"{name} mIoU % | {name} arms, legs, shoes IoU %" for name in sets) + " |")
    print("|---|" + "---:|---:|" * len(sets))
    results = {}
    with create("bodyseg", parts="lip") as segmenter:
        for name, dataset in sets.items():
            meters = {reading: PartMeter(LIP.names) for reading in READINGS}
            for sample in dataset:
                truth = sample.parts.labels
                for reading, labels in readings(sample.load_image(), truth, segmenter).items():
                    meters[reading].update(labels, truth)
            results[name] = {reading: meter.compute() for reading, meter in meters.items()}
    for reading in READINGS:
        cells = []
        for name in sets:
            scores = results[name][reading]
            cells += [f"{100 * scores['mean_iou']:.1f}", f"{100 * np.nanmean(scores['iou'][limbs]):.1f}"]
        print(f"| {reading} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
