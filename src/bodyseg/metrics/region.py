"""Region metrics from one confusion matrix: binary masks and multi-class label maps.

Conventions for empty masks (binary functions): when neither the prediction nor the ground truth
has a positive pixel, every score is 1.0 (nothing to find, nothing wrongly found); when exactly one
of them is empty, IoU, Dice, precision and recall are 0.0. Multi-class scores mark a class that is
absent from both prediction and ground truth with NaN and leave it out of the means.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bodyseg.errors import InputError
from bodyseg.result import Segmentation

MaskLike = Any  # np.ndarray of bool or 0/1 values, or a Segmentation (thresholded at 0.5)


def as_mask(mask: MaskLike, name: str = "mask") -> np.ndarray:
    """A bool array from a bool / 0-1 array, or from a :class:`Segmentation` (``seg.mask()``).

    Raises:
        InputError: the array holds values other than 0 and 1 (probabilities, 0/255 masks).

    Example:
        >>> as_mask(np.array([0, 1, 1], np.uint8)).tolist()
        [False, True, True]
    """
    if isinstance(mask, Segmentation):
        return mask.mask()
    a = np.asarray(mask)
    if a.dtype == bool:
        return a
    if a.dtype.kind not in "iuf":
        raise InputError(f"{name} must be a bool or 0/1 array, got dtype {a.dtype}")
    if a.dtype.kind in "iu":
        binary = a.size == 0 or (a.min() >= 0 and a.max() <= 1)
    else:
        binary = not np.any((a != 0) & (a != 1))
    if not binary:
        raise InputError(
            f"{name} must be a bool or 0/1 mask, but holds values in [{a.min()}, {a.max()}]: threshold "
            "probabilities first (prob > 0.5) and turn 0/255 masks into bool (mask > 0)"
        )
    return a.astype(bool)


def check_same_shape(pred: np.ndarray, target: np.ndarray) -> None:
    """Raise :class:`InputError` unless the prediction and the ground truth have the same shape."""
    if pred.shape != target.shape:
        raise InputError(
            f"prediction shape {pred.shape} differs from ground truth shape {target.shape}; "
            "resize the prediction to the ground truth (nearest neighbour for labels) first"
        )


def confusion_matrix(
    pred: np.ndarray, target: np.ndarray, num_classes: int, ignore_index: int | None = None
) -> np.ndarray:
    """Count pixels by (ground-truth label, predicted label) with one ``np.bincount``.

    Args:
        pred: integer (or bool) label array.
        target: ground-truth label array of the same shape.
        num_classes: labels run over ``0 .. num_classes - 1``.
        ignore_index: ground-truth label whose pixels are left out (e.g. 255 for "void").

    Returns:
        ``num_classes x num_classes`` int64 matrix, rows = ground truth, columns = prediction.

    Raises:
        InputError: shapes differ, labels are not integers, or a label is outside the range.

    Example:
        >>> confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3).tolist()
        [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    """
    pred, target = np.asarray(pred), np.asarray(target)
    check_same_shape(pred, target)
    for name, a in (("prediction", pred), ("ground truth", target)):
        if a.dtype != bool and a.dtype.kind not in "iu":
            raise InputError(f"{name} labels must be integers, got dtype {a.dtype}; cast with .astype(np.int64)")
    pred, target = pred.ravel(), target.ravel()
    if ignore_index is not None:
        keep = target != ignore_index
        pred, target = pred[keep], target[keep]
    for name, a in (("prediction", pred), ("ground truth", target)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise InputError(
                f"{name} has labels in [{a.min()}, {a.max()}] but num_classes={num_classes}; "
                "raise num_classes or pass ignore_index for the void label"
            )
    index = num_classes * target.astype(np.intp) + pred
    counts = np.bincount(index, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def binary_counts(pred: MaskLike, target: MaskLike) -> tuple[int, int, int, int]:
    """``(tp, fp, fn, tn)`` pixel counts of two binary masks: their 2x2 confusion matrix.

    Counted with ``np.count_nonzero`` (about 20 times faster than the general
    :func:`confusion_matrix` on bool masks, with the same result).

    Example:
        >>> binary_counts(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]))
        (1, 1, 1, 1)
    """
    p, t = as_mask(pred, "prediction"), as_mask(target, "ground truth")
    check_same_shape(p, t)
    tp = int(np.count_nonzero(p & t))
    fp = int(np.count_nonzero(p)) - tp
    fn = int(np.count_nonzero(t)) - tp
    return tp, fp, fn, p.size - tp - fp - fn


def bounding_slices(*masks: np.ndarray) -> tuple[slice, slice] | None:
    """``(rows, cols)`` slices of the smallest box holding every True pixel of the HxW masks.

    None when all masks are empty. Uses row / column projections, so it is fast on large masks.

    Example:
        >>> m = np.zeros((4, 5), bool); m[1:3, 2:4] = True
        >>> bounding_slices(m)
        (slice(1, 3, None), slice(2, 4, None))
    """
    rows = np.flatnonzero(np.logical_or.reduce([m.any(axis=1) for m in masks]))
    cols = np.flatnonzero(np.logical_or.reduce([m.any(axis=0) for m in masks]))
    if rows.size == 0:
        return None
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def _ratio(numerator: float, denominator: float, both_empty: bool) -> float:
    """``numerator / denominator``; 1.0 when both masks are empty, 0.0 for a zero denominator."""
    if both_empty:
        return 1.0
    return float(numerator / denominator) if denominator > 0 else 0.0


def scores_from_counts(tp: int, fp: int, fn: int, tn: int) -> dict[str, float]:
    """IoU, Dice, precision, recall and pixel accuracy from binary pixel counts.

    Both masks empty (``tp + fp + fn == 0``) gives 1.0 everywhere; otherwise a score whose
    denominator is zero (precision with an empty prediction, recall with an empty ground truth)
    is 0.0.

    Example:
        >>> scores_from_counts(tp=2, fp=1, fn=1, tn=4)["iou"]
        0.5
    """
    both_empty = tp + fp + fn == 0
    return {
        "iou": _ratio(tp, tp + fp + fn, both_empty),
        "dice": _ratio(2 * tp, 2 * tp + fp + fn, both_empty),
        "precision": _ratio(tp, tp + fp, both_empty),
        "recall": _ratio(tp, tp + fn, both_empty),
        "pixel_accuracy": _ratio(tp + tn, tp + fp + fn + tn, both_empty),
    }


def binary_scores(pred: MaskLike, target: MaskLike) -> dict[str, float]:
    """All binary region scores of a predicted mask against a ground-truth mask.

    Args:
        pred: HxW bool or 0/1 mask (or a :class:`Segmentation`, thresholded at 0.5).
        target: ground-truth mask of the same shape.

    Returns:
        ``{"iou", "dice", "precision", "recall", "pixel_accuracy"}``. Both masks empty: all 1.0.
        Exactly one empty: IoU, Dice, precision and recall 0.0.

    Example:
        >>> s = binary_scores(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))
        >>> s["iou"], s["dice"], s["precision"], s["recall"], s["pixel_accuracy"]
        (0.5, 0.6666666666666666, 0.5, 1.0, 0.75)
    """
    return scores_from_counts(*binary_counts(pred, target))


def iou(pred: MaskLike, target: MaskLike) -> float:
    """Jaccard index ``|P & T| / |P | T|`` of two binary masks; both empty 1.0, one empty 0.0.

    Example:
        >>> iou(np.array([1, 1, 0]), np.array([0, 1, 1]))
        0.3333333333333333
    """
    return binary_scores(pred, target)["iou"]


def dice(pred: MaskLike, target: MaskLike) -> float:
    """Dice / F1 ``2|P & T| / (|P| + |T|)`` of two binary masks; both empty 1.0, one empty 0.0.

    Example:
        >>> dice(np.array([1, 1, 0]), np.array([0, 1, 1]))
        0.5
    """
    return binary_scores(pred, target)["dice"]


def precision(pred: MaskLike, target: MaskLike) -> float:
    """``|P & T| / |P|``; both empty 1.0, an empty prediction of a non-empty truth 0.0.

    Example:
        >>> precision(np.array([1, 1, 0]), np.array([0, 1, 1]))
        0.5
    """
    return binary_scores(pred, target)["precision"]


def recall(pred: MaskLike, target: MaskLike) -> float:
    """``|P & T| / |T|``; both empty 1.0, any prediction on an empty truth 0.0.

    Example:
        >>> recall(np.array([1, 0, 0]), np.array([1, 1, 0]))
        0.5
    """
    return binary_scores(pred, target)["recall"]


def _nanmean(values: np.ndarray) -> float:
    """Mean of the non-NaN values; NaN (without a warning) when there are none."""
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")


def class_scores(cm: np.ndarray) -> dict[str, Any]:
    """Multi-class scores from a confusion matrix (rows = ground truth, columns = prediction).

    Per-class arrays hold NaN for a class absent from both prediction and ground truth; the means
    skip NaN. ``class_accuracy`` is ``diag / row sum`` (NaN where the class is absent from the
    ground truth; its mean is the FCN papers' "mean accuracy"). ``precision`` and ``recall`` follow
    the binary convention: 0.0 when only one side has the class.

    Returns:
        ``pixel_accuracy``, ``mean_class_accuracy``, ``mean_iou``, ``fw_iou`` (frequency-weighted
        IoU), ``mean_dice`` (floats) and ``class_accuracy``, ``iou``, ``dice``, ``precision``,
        ``recall`` (float64 arrays of length C). An all-zero matrix gives NaN floats.

    Example:
        >>> s = class_scores(np.array([[2, 0, 0], [1, 1, 0], [0, 0, 0]]))
        >>> s["iou"].round(3).tolist(), round(s["mean_iou"], 3)
        ([0.667, 0.5, nan], 0.583)
    """
    cm = np.asarray(cm, dtype=np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise InputError(f"a confusion matrix must be square, got shape {cm.shape}")
    tp = np.diag(cm)
    in_target, in_pred, total = cm.sum(axis=1), cm.sum(axis=0), cm.sum()
    present = (in_target + in_pred) > 0
    nan = np.full_like(tp, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou_c = np.where(present, tp / (in_target + in_pred - tp), nan)
        dice_c = np.where(present, 2 * tp / (in_target + in_pred), nan)
        precision_c = np.where(present, np.where(in_pred > 0, tp / in_pred, 0.0), nan)
        recall_c = np.where(present, np.where(in_target > 0, tp / in_target, 0.0), nan)
        accuracy_c = np.where(in_target > 0, tp / in_target, nan)
    frequency = in_target / total if total > 0 else np.zeros_like(tp)
    seen = in_target > 0
    return {
        "pixel_accuracy": float(tp.sum() / total) if total > 0 else float("nan"),
        "mean_class_accuracy": _nanmean(accuracy_c),
        "mean_iou": _nanmean(iou_c),
        "fw_iou": float(np.sum(frequency[seen] * iou_c[seen])) if total > 0 else float("nan"),
        "mean_dice": _nanmean(dice_c),
        "class_accuracy": accuracy_c,
        "iou": iou_c,
        "dice": dice_c,
        "precision": precision_c,
        "recall": recall_c,
    }


class ConfusionMeter:
    """Accumulate one confusion matrix over many label maps, then score it.

    Example:
        >>> meter = ConfusionMeter(num_classes=2)
        >>> meter.update(np.array([0, 1]), np.array([0, 1]))
        >>> meter.update(np.array([1, 1]), np.array([0, 1]))
        >>> meter.matrix.tolist(), round(meter.compute()["mean_iou"], 3)
        ([[1, 1], [0, 2]], 0.583)
    """

    def __init__(self, num_classes: int, ignore_index: int | None = None) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
        self.images = 0

    def update(self, pred: np.ndarray, target: np.ndarray) -> None:
        """Add one predicted label map and its ground truth."""
        self.matrix += confusion_matrix(pred, target, self.num_classes, self.ignore_index)
        self.images += 1

    def compute(self) -> dict[str, Any]:
        """:func:`class_scores` of the pooled matrix, plus ``images``.

        Raises:
            InputError: nothing was added yet.
        """
        if self.images == 0:
            raise InputError("ConfusionMeter is empty: call update(pred, target) before compute()")
        return {**class_scores(self.matrix), "images": self.images}

    def reset(self) -> None:
        """Forget everything added so far."""
        self.matrix[:] = 0
        self.images = 0


class IoUMeter:
    """Binary IoU over a data set, reported two ways.

    ``mean_image_iou`` averages each image's IoU (an image with empty prediction and empty ground
    truth counts 1.0); ``pooled_iou`` sums the pixel counts over all images first, so large people
    weigh more. Dice is reported the same two ways.

    Example:
        >>> meter = IoUMeter()
        >>> meter.update(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))  # IoU 1/2
        >>> meter.update(np.array([0, 0, 0, 0]), np.array([0, 0, 0, 0]))  # both empty: 1
        >>> r = meter.compute()
        >>> r["mean_image_iou"], r["pooled_iou"]
        (0.75, 0.5)
    """

    def __init__(self) -> None:
        self.counts = np.zeros(4, dtype=np.int64)  # tp, fp, fn, tn
        self.image_iou: list[float] = []
        self.image_dice: list[float] = []

    def update(self, pred: MaskLike, target: MaskLike) -> None:
        """Add one predicted mask and its ground truth."""
        counts = binary_counts(pred, target)
        self.counts += counts
        scores = scores_from_counts(*counts)
        self.image_iou.append(scores["iou"])
        self.image_dice.append(scores["dice"])

    def compute(self) -> dict[str, float]:
        """``mean_image_iou``, ``pooled_iou``, ``mean_image_dice``, ``pooled_dice``, ``images``.

        Raises:
            InputError: nothing was added yet.
        """
        if not self.image_iou:
            raise InputError("IoUMeter is empty: call update(pred, target) before compute()")
        pooled = scores_from_counts(*self.counts.tolist())
        return {
            "mean_image_iou": float(np.mean(self.image_iou)),
            "pooled_iou": pooled["iou"],
            "mean_image_dice": float(np.mean(self.image_dice)),
            "pooled_dice": pooled["dice"],
            "images": len(self.image_iou),
        }

    def reset(self) -> None:
        """Forget everything added so far."""
        self.counts[:] = 0
        self.image_iou.clear()
        self.image_dice.clear()
