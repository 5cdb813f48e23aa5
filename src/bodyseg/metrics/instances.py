"""Instance metrics: COCO-style mask AP and AR for the "person" category.

Matching follows pycocotools' ``COCOeval`` (``iouType="segm"``): in each image, predictions are
taken in order of decreasing score (at most ``max_detections``) and each is matched greedily to
the unmatched ground-truth person it overlaps most, if that IoU reaches the threshold. Precision
and recall are then pooled over all images by score, precision is made monotone and read at the
101 recall points 0, 0.01, ..., 1. AP is averaged over IoU thresholds 0.50:0.05:0.95; AR is the
final recall averaged over the same thresholds. Crowd regions and area ranges are not modelled.

Empty cases: with no ground-truth person anywhere, AP and AR are 1.0 if nothing was predicted
either and 0.0 otherwise; with people but no predictions, they are 0.0. An empty mask overlaps
nothing (IoU 0), so it never matches.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bodyseg.errors import InputError
from bodyseg.metrics.region import as_mask, bounding_slices

#: The COCO IoU thresholds 0.50, 0.55, ..., 0.95.
IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
#: The COCO recall points at which precision is read: 0, 0.01, ..., 1.
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


def mask_iou_matrix(pred_masks: Sequence[np.ndarray], gt_masks: Sequence[np.ndarray]) -> np.ndarray:
    """P x G float64 IoU of every predicted mask with every ground-truth mask.

    Only the overlap of the two masks' boxes is compared, so many small people stay cheap. An
    empty mask has IoU 0 with everything.

    Example:
        >>> a = np.zeros((1, 4), bool); a[0, :2] = True
        >>> b = np.zeros((1, 4), bool); b[0, 1:] = True
        >>> mask_iou_matrix([a], [a, b]).round(3).tolist()
        [[1.0, 0.25]]
    """
    preds = [as_mask(m, "predicted mask") for m in pred_masks]
    gts = [as_mask(m, "ground-truth mask") for m in gt_masks]
    shapes = {m.shape for m in preds + gts}
    if len(shapes) > 1:
        raise InputError(f"all masks of one image must have the same shape, got {sorted(shapes)}")
    pred_boxes, gt_boxes = [bounding_slices(m) for m in preds], [bounding_slices(m) for m in gts]
    pred_areas = [np.count_nonzero(m) for m in preds]
    gt_areas = [np.count_nonzero(m) for m in gts]
    ious = np.zeros((len(preds), len(gts)))
    for i, (p, p_box) in enumerate(zip(preds, pred_boxes, strict=False)):
        for j, (g, g_box) in enumerate(zip(gts, gt_boxes, strict=False)):
            if p_box is None or g_box is None:
                continue
            box = tuple(slice(max(a.start, b.start), min(a.stop, b.stop)) for a, b in zip(p_box, g_box, strict=False))
            if box[0].start >= box[0].stop or box[1].start >= box[1].stop:
                continue
            inter = np.count_nonzero(p[box] & g[box])
            ious[i, j] = inter / (pred_areas[i] + gt_areas[j] - inter)
    return ious


def match_by_score(ious: np.ndarray, thresholds: np.ndarray = IOU_THRESHOLDS) -> np.ndarray:
    """T x P bool: which predictions (rows of ``ious``, best score first) are true positives.

    Each prediction in turn takes the still unmatched ground truth with the highest IoU, if that
    IoU is at least the threshold (COCO's greedy matching).

    Example:
        >>> match_by_score(np.array([[0.6], [0.9]]), np.array([0.5, 0.75])).tolist()
        [[True, False], [False, True]]
    """
    num_pred, num_gt = ious.shape
    tp = np.zeros((len(thresholds), num_pred), dtype=bool)
    for k, threshold in enumerate(thresholds):
        matched = np.zeros(num_gt, dtype=bool)
        needed = min(float(threshold), 1 - 1e-10)
        for d in range(num_pred):
            if num_gt == 0:
                break
            candidates = np.where(matched, -1.0, ious[d])
            g = int(np.argmax(candidates))
            if candidates[g] >= needed:
                matched[g] = True
                tp[k, d] = True
    return tp


def interpolated_ap(tp: np.ndarray, num_gt: int) -> float:
    """COCO's 101-point interpolated AP of detections in decreasing score order.

    Args:
        tp: bool per detection, best score first (True = matched a ground truth).
        num_gt: number of ground-truth objects (> 0).

    Example:
        >>> round(interpolated_ap(np.array([True, False, True]), num_gt=2), 4)  # (51 + 50 * 2/3) / 101
        0.835
    """
    if tp.size == 0:
        return 0.0
    tp_cum = np.cumsum(tp)
    recall = tp_cum / num_gt
    precision = tp_cum / np.arange(1, tp.size + 1)
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    where = np.searchsorted(recall, RECALL_POINTS, side="left")
    at_points = np.where(where < tp.size, precision[np.minimum(where, tp.size - 1)], 0.0)
    return float(at_points.mean())


class InstanceMeter:
    """Accumulate person instances over images; :meth:`compute` gives COCO mask AP and AR.

    Example:
        >>> gt = np.zeros((4, 4), bool); gt[:2, :2] = True
        >>> meter = InstanceMeter()
        >>> meter.update([gt], [0.9], [gt])
        >>> meter.compute()["ap"]
        1.0
    """

    def __init__(self, max_detections: int = 100) -> None:
        self.max_detections = max_detections
        self._scores: list[np.ndarray] = []
        self._tp: list[np.ndarray] = []
        self.ground_truths = 0
        self.images = 0

    def update(
        self, pred_masks: Sequence[np.ndarray], pred_scores: Sequence[float], gt_masks: Sequence[np.ndarray]
    ) -> None:
        """Add one image: its predicted person masks with their scores, and its ground-truth masks."""
        if len(pred_masks) != len(pred_scores):
            raise InputError(
                f"{len(pred_masks)} predicted masks but {len(pred_scores)} scores: give one score per mask"
            )
        scores = np.asarray(pred_scores, dtype=np.float64).reshape(-1)
        order = np.argsort(-scores, kind="mergesort")[: self.max_detections]
        ious = mask_iou_matrix([pred_masks[i] for i in order], gt_masks)
        self._scores.append(scores[order])
        self._tp.append(match_by_score(ious))
        self.ground_truths += len(gt_masks)
        self.images += 1

    def compute(self) -> dict[str, float]:
        """``ap`` (IoU 0.50:0.95), ``ap50``, ``ap75``, ``ar`` (max ``max_detections`` per image),
        plus the counts ``images``, ``detections`` and ``ground_truths``.

        Raises:
            InputError: nothing was added yet.
        """
        if self.images == 0:
            raise InputError("InstanceMeter is empty: call update(pred_masks, pred_scores, gt_masks) first")
        scores = np.concatenate(self._scores)
        tp = np.concatenate(self._tp, axis=1)[:, np.argsort(-scores, kind="mergesort")]
        counts = {"images": self.images, "detections": int(scores.size), "ground_truths": self.ground_truths}
        if self.ground_truths == 0:
            value = 1.0 if scores.size == 0 else 0.0
            return {"ap": value, "ap50": value, "ap75": value, "ar": value, **counts}
        ap = np.array([interpolated_ap(row, self.ground_truths) for row in tp])
        ar = tp.sum(axis=1) / self.ground_truths
        return {
            "ap": float(ap.mean()),
            "ap50": float(ap[0]),
            "ap75": float(ap[5]),
            "ar": float(ar.mean()),
            **counts,
        }


def mask_ap(
    pred_masks: Sequence[np.ndarray], pred_scores: Sequence[float], gt_masks: Sequence[np.ndarray]
) -> dict[str, float]:
    """COCO mask AP / AR of one image's predicted people against its ground-truth people.

    Args:
        pred_masks: HxW bool masks, one per predicted person.
        pred_scores: one confidence per predicted mask.
        gt_masks: HxW bool masks, one per ground-truth person.

    Returns:
        See :meth:`InstanceMeter.compute`; use an :class:`InstanceMeter` to pool a data set (AP
        over a data set is not the mean of per-image APs).

    Example:
        >>> gt = np.zeros((1, 10), bool); gt[0, :4] = True
        >>> half = np.zeros((1, 10), bool); half[0, :2] = True  # IoU 0.5 with gt
        >>> r = mask_ap([half], [0.8], [gt])
        >>> r["ap50"], r["ap75"]
        (1.0, 0.0)
    """
    meter = InstanceMeter()
    meter.update(pred_masks, pred_scores, gt_masks)
    return meter.compute()
