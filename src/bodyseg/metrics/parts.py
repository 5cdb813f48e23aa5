"""Part metrics: label maps scored against part ground truth through one pooled confusion matrix.

The scores are those of the parsing and multi-part literature (LIP, the multi-part body study):
mIoU (mean over classes of ``TP / (TP + FP + FN)``), per-class IoU and accuracy (``TP / ground-truth
pixels``), pixel accuracy (overall accuracy), mean class accuracy and frequency-weighted IoU. They
are computed by :func:`bodyseg.metrics.region.class_scores` on a matrix pooled over all images (the
LIP protocol), so a class absent from both sides of every image is NaN and left out of the means.

Example:
    >>> import numpy as np
    >>> meter = PartMeter(("background", "head", "torso"))
    >>> meter.update(np.array([[0, 1, 2, 2]]), np.array([[0, 1, 1, 2]]))
    >>> round(meter.compute()["mean_iou"], 3)
    0.667
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bodyseg.errors import InputError
from bodyseg.metrics.region import ConfusionMeter, class_scores, confusion_matrix

#: The headline part scores, in the order tables print them.
PART_SCORES = ("mean_iou", "pixel_accuracy", "mean_class_accuracy", "fw_iou")


def part_scores(pred: np.ndarray, target: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """All part scores of one predicted label map against its ground truth (see :class:`PartMeter`).

    Example:
        >>> s = part_scores(np.array([0, 1, 1, 1]), np.array([0, 0, 1, 1]), ("background", "head"))
        >>> s["pixel_accuracy"], s["iou"].tolist(), s["class_accuracy"].tolist()
        (0.75, [0.5, 0.6666666666666666], [0.5, 1.0])
    """
    return scores_with_names(confusion_matrix(pred, target, len(names)), names)


def scores_with_names(matrix: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """:func:`class_scores` of ``matrix`` plus ``names`` and the matrix itself (``confusion``)."""
    if len(names) != matrix.shape[0]:
        raise InputError(f"{len(names)} part names for a {matrix.shape[0]}-class confusion matrix; give one per id")
    return {**class_scores(matrix), "names": tuple(names), "confusion": matrix.copy()}


def per_class_rows(scores: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per class of a scores dict: ``{"id", "name", "iou", "accuracy", "pixels"}``.

    ``pixels`` is the class's ground-truth pixel count; ``iou`` / ``accuracy`` are NaN where undefined.

    Example:
        >>> s = part_scores(np.array([0, 1]), np.array([0, 0]), ("background", "head"))
        >>> [(r["name"], r["iou"], r["pixels"]) for r in per_class_rows(s)]
        [('background', 0.5, 2), ('head', 0.0, 0)]
    """
    pixels = scores["confusion"].sum(axis=1)
    return [
        {
            "id": i,
            "name": name,
            "iou": float(scores["iou"][i]),
            "accuracy": float(scores["class_accuracy"][i]),
            "pixels": int(pixels[i]),
        }
        for i, name in enumerate(scores["names"])
    ]


def normalized_confusion(matrix: np.ndarray) -> np.ndarray:
    """Rows divided by their sums (the share of each true class given to each prediction); empty rows 0.

    Example:
        >>> normalized_confusion(np.array([[3, 1], [0, 0]])).tolist()
        [[0.75, 0.25], [0.0, 0.0]]
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)


class PartMeter:
    """Pool the confusion matrix of many part maps, then score it with the class names.

    Args:
        names: label names by id (a scheme's ``names``, or a data set's ``part_names``).
        ignore_index: a ground-truth id whose pixels are not scored (e.g. 255 for "void").

    Example:
        >>> meter = PartMeter(("background", "arm"))
        >>> meter.update(np.array([1, 1]), np.array([1, 0]))
        >>> meter.compute()["iou"].tolist()
        [0.0, 0.5]
    """

    def __init__(self, names: Sequence[str], ignore_index: int | None = None) -> None:
        self.names = tuple(names)
        self._meter = ConfusionMeter(len(self.names), ignore_index=ignore_index)

    @property
    def matrix(self) -> np.ndarray:
        """The pooled ``C x C`` confusion matrix (rows ground truth, columns prediction)."""
        return self._meter.matrix

    @property
    def images(self) -> int:
        """How many label maps were added."""
        return self._meter.images

    def update(self, pred: np.ndarray, target: np.ndarray) -> None:
        """Add one predicted label map and its ground truth (same shape, integer ids)."""
        self._meter.update(pred, target)

    def compute(self) -> dict[str, Any]:
        """:func:`class_scores` of the pooled matrix plus ``names``, ``confusion`` and ``images``.

        Raises:
            InputError: nothing was added yet.
        """
        if self.images == 0:
            raise InputError("PartMeter is empty: call update(pred, target) before compute()")
        return {**scores_with_names(self.matrix, self.names), "images": self.images}

    def reset(self) -> None:
        """Forget everything added so far."""
        self._meter.reset()
