"""Contour metrics: boundary F-score and the 95th-percentile Hausdorff distance.

A mask's boundary is its pixels with a 4-neighbour outside the mask, the image border counting as
outside (as in medpy), so a non-empty mask always has a non-empty boundary. Distances are Euclidean,
in pixels, from Euclidean distance transforms.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from bodyseg.errors import InputError
from bodyseg.metrics.region import MaskLike, as_mask, check_same_shape

_CROSS = ndimage.generate_binary_structure(2, 1)


def mask_boundary(mask: MaskLike) -> np.ndarray:
    """HxW bool: the pixels of ``mask`` that touch the outside (4-connectivity, border = outside).

    Example:
        >>> m = np.zeros((5, 5), bool); m[1:4, 1:4] = True
        >>> mask_boundary(m).astype(int)[1:4, 1:4].tolist()
        [[1, 1, 1], [1, 0, 1], [1, 1, 1]]
    """
    m = as_mask(mask)
    if m.ndim != 2:
        raise InputError(f"boundary metrics need an HxW mask, got shape {m.shape}; score each image apart")
    return m & ~ndimage.binary_erosion(m, structure=_CROSS, border_value=0)


def _boundary_pair(pred: MaskLike, target: MaskLike) -> tuple[np.ndarray, np.ndarray]:
    p, t = as_mask(pred, "prediction"), as_mask(target, "ground truth")
    check_same_shape(p, t)
    return mask_boundary(p), mask_boundary(t)


def _distance_to(boundary: np.ndarray) -> np.ndarray:
    """Distance of every pixel to the nearest pixel of a non-empty ``boundary``."""
    return ndimage.distance_transform_edt(~boundary)


def boundary_f_score(pred: MaskLike, target: MaskLike, tolerance: float = 2.0) -> float:
    """F-score of boundary pixels matched within ``tolerance`` pixels.

    Precision is the share of predicted boundary pixels within ``tolerance`` of the ground-truth
    boundary, recall the share of ground-truth boundary pixels within ``tolerance`` of the
    predicted one; the score is their harmonic mean.

    Args:
        pred: HxW bool or 0/1 mask (or a :class:`Segmentation`).
        target: ground-truth mask of the same shape.
        tolerance: match distance in pixels (inclusive).

    Returns:
        F in [0, 1]; 1.0 when both masks are empty, 0.0 when exactly one is.

    Example:
        >>> gt = np.zeros((6, 6), bool); gt[1:4, 1:4] = True
        >>> boundary_f_score(np.roll(gt, 1, axis=1), gt, tolerance=1)
        1.0
    """
    pb, tb = _boundary_pair(pred, target)
    if not pb.any() or not tb.any():
        return 1.0 if pb.any() == tb.any() else 0.0
    precision = float(np.mean(_distance_to(tb)[pb] <= tolerance))
    recall = float(np.mean(_distance_to(pb)[tb] <= tolerance))
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def hausdorff95(pred: MaskLike, target: MaskLike) -> float:
    """95th percentile of the symmetric boundary distances, in pixels (medpy's ``hd95``).

    The distances of every predicted boundary pixel to the ground-truth boundary and of every
    ground-truth boundary pixel to the predicted boundary are pooled, and their 95th percentile
    (linear interpolation, ``np.percentile``) is returned: unlike the plain Hausdorff distance, a
    few stray pixels do not dominate it.

    Returns:
        Distance in pixels; 0.0 when both masks are empty and ``inf`` when exactly one is (there is
        no boundary to measure to; average such images with care, or count them apart).

    Example:
        >>> a = np.zeros((1, 8), bool); a[0, 0] = True
        >>> hausdorff95(a, np.roll(a, 5, axis=1))
        5.0
    """
    pb, tb = _boundary_pair(pred, target)
    if not pb.any() or not tb.any():
        return 0.0 if pb.any() == tb.any() else float("inf")
    distances = np.concatenate([_distance_to(tb)[pb], _distance_to(pb)[tb]])
    return float(np.percentile(distances, 95))
