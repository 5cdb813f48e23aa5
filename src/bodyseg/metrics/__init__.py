"""Metrics: pure numpy functions, each checked against hand-computed cases.

Binary masks (bool or 0/1 arrays, or a :class:`~bodyseg.result.Segmentation`): :func:`iou`,
:func:`dice`, :func:`precision`, :func:`recall`, :func:`binary_scores`, :func:`boundary_f_score`,
:func:`hausdorff95`. Label maps: :func:`confusion_matrix`, :func:`class_scores`,
:class:`ConfusionMeter`. Part maps (:mod:`bodyseg.metrics.parts`): :class:`PartMeter`,
:func:`part_scores`, :func:`per_class_rows`. Data sets: :class:`IoUMeter` (per-image mean vs pooled IoU). People:
:func:`mask_ap`, :class:`InstanceMeter` (COCO mask AP / AR). Video: :func:`dtssd`,
:func:`mean_frame_iou`, :class:`TemporalMeter` (frame by frame).

Empty masks: both empty scores 1.0 (``hausdorff95``: 0.0); exactly one empty scores 0.0
(``hausdorff95``: inf). Multi-class scores skip classes absent from both sides (NaN). Meters raise
:class:`~bodyseg.errors.InputError` when computed before anything was added.

Example:
    >>> import numpy as np
    >>> from bodyseg.metrics import iou
    >>> iou(np.array([[1, 1], [0, 0]]), np.array([[1, 0], [0, 0]]))
    0.5
"""

from bodyseg.metrics.boundary import boundary_f_score, hausdorff95, mask_boundary
from bodyseg.metrics.instances import (
    IOU_THRESHOLDS,
    RECALL_POINTS,
    InstanceMeter,
    interpolated_ap,
    mask_ap,
    mask_iou_matrix,
    match_by_score,
)
from bodyseg.metrics.parts import PART_SCORES, PartMeter, normalized_confusion, part_scores, per_class_rows
from bodyseg.metrics.region import (
    ConfusionMeter,
    IoUMeter,
    as_mask,
    binary_counts,
    binary_scores,
    bounding_slices,
    class_scores,
    confusion_matrix,
    dice,
    iou,
    precision,
    recall,
    scores_from_counts,
)
from bodyseg.metrics.temporal import TemporalMeter, dtssd, mean_frame_iou

__all__ = [
    "IOU_THRESHOLDS",
    "PART_SCORES",
    "RECALL_POINTS",
    "ConfusionMeter",
    "InstanceMeter",
    "IoUMeter",
    "PartMeter",
    "TemporalMeter",
    "as_mask",
    "binary_counts",
    "binary_scores",
    "boundary_f_score",
    "bounding_slices",
    "class_scores",
    "confusion_matrix",
    "dice",
    "dtssd",
    "hausdorff95",
    "interpolated_ap",
    "iou",
    "mask_ap",
    "mask_boundary",
    "mask_iou_matrix",
    "match_by_score",
    "mean_frame_iou",
    "normalized_confusion",
    "part_scores",
    "per_class_rows",
    "precision",
    "recall",
    "scores_from_counts",
]
