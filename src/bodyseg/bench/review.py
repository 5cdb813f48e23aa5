"""The worst results of an evaluation, kept while it runs and drawn for review."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from bodyseg import effects
from bodyseg.bench.cell import Record
from bodyseg.bench.runner import safe_name
from bodyseg.datasets import Sample
from bodyseg.io.images import read_image, write_image
from bodyseg.result import Segmentation

#: Colour of the ground-truth outline in review overlays (the prediction's outline is white).
TRUTH_COLOUR = (255, 0, 0)


@dataclass(order=True)
class Reviewed:
    """One kept result: ``badness`` is 1 - IoU, or the person fraction where the truth is empty."""

    badness: float
    order: int
    id: str = field(compare=False)
    image_path: Path = field(compare=False)
    truth: np.ndarray = field(compare=False, repr=False)
    seg: Segmentation = field(compare=False, repr=False)


class WorstResults:
    """Keeps the ``count`` worst results seen; use an instance as ``run_cell(on_result=...)``.

    Only the ``count`` kept segmentations are held; images are read again to draw them.

    Example:
        >>> worst = WorstResults(5)
        >>> cell = run_cell(segmenter, dataset, on_result=worst)  # doctest: +SKIP
        >>> worst.write(Path("overlays"))  # doctest: +SKIP
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self._heap: list[Reviewed] = []
        self._order = itertools.count()

    def __call__(self, sample: Sample, rgb: np.ndarray, seg: Segmentation, record: Record) -> None:
        if self.count <= 0:
            return
        truth_empty = record["tp"] + record["fn"] == 0
        badness = record["person_fraction"] if truth_empty else 1.0 - record["iou"]
        item = Reviewed(badness, -next(self._order), sample.id, sample.image_path, sample.mask, seg)
        if len(self._heap) < self.count:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def worst(self) -> list[Reviewed]:
        """The kept results, worst first."""
        return sorted(self._heap, reverse=True)

    def write(self, folder: Path, threshold: float = 0.5) -> list[Path]:
        """Write ``<rank>_<id>.jpg`` review overlays into ``folder``, worst first."""
        paths = []
        for rank, item in enumerate(self.worst(), start=1):
            image = review_overlay(read_image(item.image_path), item.seg, item.truth, threshold)
            paths.append(write_image(folder / f"{rank:03d}_{safe_name(item.id)}.jpg", image))
        return paths


def review_overlay(rgb: np.ndarray, seg: Segmentation, truth: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """The prediction as :func:`bodyseg.effects.overlay` draws it, plus the truth's outline in red.

    Example:
        >>> rgb = np.zeros((8, 8, 3), np.uint8); truth = np.zeros((8, 8), bool); truth[2:6, 2:6] = True
        >>> out = review_overlay(rgb, Segmentation(prob=np.zeros((8, 8), np.float32)), truth)
        >>> out[2, 2].tolist(), out[0, 0].tolist()
        ([255, 0, 0], [0, 0, 0])
    """
    out = effects.overlay(rgb, seg, threshold=threshold)
    outline = cv2.morphologyEx(truth.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    out[outline & truth] = TRUTH_COLOUR
    return out
