"""bodyseg's MediaPipe reference methods against the mediapipe wheel's own graphs, on every data set.

    pip install mediapipe==0.10.14   # in a separate environment: it brings jax and a second OpenCV
    OMP_NUM_THREADS=1 python benchmarks/mediapipe_parity.py [--data ccp-val,pfcn-val,...] [--every 1]

``mediapipe-selfie`` and ``mediapipe-pose`` run on the .tflite files shipped in bodyseg's package
(the same files, from npm). This script runs the wheel's SelfieSegmentation and Pose
(static_image_mode, model_complexity=1, enable_segmentation) on the same images and prints, per data
set, the mean per-image IoU of each against the ground truth, their difference, and how much the two
masks agree (mean IoU between them, 1 where both are empty). On the person-free sets the IoU columns are
the share of pixels called person instead (lower is better).
"""

from __future__ import annotations

import argparse
import os
import statistics
import warnings

import numpy as np

from bodyseg.datasets import open_dataset
from bodyseg.metrics import iou
from bodyseg.segmenters import create

DEFAULT_DATA = "ccp-val,pfcn-val,picsart-val,coco_person,davis_person,camvid_person,backgrounds,backgrounds-val"


def wheel_graphs() -> dict[str, object]:
    """The wheel's two graphs as functions of an RGB image returning a probability (or None)."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype")
    import mediapipe as mp

    selfie = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
    pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=True)
    return {
        "mediapipe-selfie": lambda rgb: selfie.process(rgb).segmentation_mask,
        "mediapipe-pose": lambda rgb: pose.process(rgb).segmentation_mask,
    }


def score(mask: np.ndarray, truth: np.ndarray) -> float:
    """IoU with the truth; on a person-free image, the share of pixels called person (the bench's figure)."""
    return iou(mask, truth) if truth.any() else float(mask.mean())


def agreement(mine: np.ndarray, theirs: np.ndarray) -> float:
    """IoU between the two masks; 1 when both are empty."""
    return iou(mine, theirs) if (mine.any() or theirs.any()) else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--every", type=int, default=1, help="every n-th image of each set")
    args = parser.parse_args()
    wheel = wheel_graphs()
    ours = {name: create(name) for name in wheel}
    print("| method | data set | images | wheel IoU | bodyseg IoU | difference | masks agree (IoU) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for data in args.data.split(","):
        rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in wheel}
        for i, sample in enumerate(open_dataset(data)):
            if i % args.every:
                continue
            rgb, truth = sample.load_image(), sample.mask > 0
            for name, graph in wheel.items():
                prob = graph(rgb)
                theirs = np.zeros(truth.shape, bool) if prob is None else prob > 0.5
                mine = ours[name].segment(rgb).mask()
                rows[name].append((score(theirs, truth), score(mine, truth), agreement(mine, theirs)))
        for name, values in rows.items():
            w, b, agree = (statistics.mean(v[k] for v in values) for k in range(3))
            print(f"| {name} | {data} | {len(values)} | {w:.4f} | {b:.4f} | {b - w:+.4f} | {agree:.3f} |", flush=True)


if __name__ == "__main__":
    main()
