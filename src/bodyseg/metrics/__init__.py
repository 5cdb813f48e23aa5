"""Metrics: pure numpy functions, each checked against hand-computed cases.

Binary masks (bool or 0/1 arrays, or a :class:`~bodyseg.result.Segmentation`): :func:`iou`,
:func:`dice`, :func:`precision`, :func:`recall`, :func:`binary_scores`, :func:`boundary_f_score`,
:func:`hausdorff95`. Label maps: :func:`confusion_matrix`, :func:`class_scores`,
:class:`ConfusionMeter`. Data sets: :class:`IoUMeter` (per-image mean vs pooled IoU).

Empty masks: both empty scores 1.0 (``hausdorff95``: 0.0); exactly one empty scores 0.0
(``hausdorff95``: inf).

Example:
    >>> import numpy as np
    >>> from bodyseg.metrics import iou
    >>> iou(np.array([[1, 1], [0, 0]]), np.array([[1, 0], [0, 0]]))
    0.5
"""

from bodyseg.metrics.boundary import boundary_f_score, hausdorff95, mask_boundary
from bodyseg.metrics.region import (
    ConfusionMeter,
    IoUMeter,
    as_mask,
    binary_counts,
    binary_scores,
    class_scores,
    confusion_matrix,
    dice,
    iou,
    precision,
    recall,
    scores_from_counts,
)

__all__ = [
    "ConfusionMeter",
    "IoUMeter",
    "as_mask",
    "binary_counts",
    "binary_scores",
    "boundary_f_score",
    "class_scores",
    "confusion_matrix",
    "dice",
    "hausdorff95",
    "iou",
    "mask_boundary",
    "precision",
    "recall",
    "scores_from_counts",
]
