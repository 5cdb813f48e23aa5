"""Contour metrics: boundary F-score and the 95th-percentile Hausdorff distance.

A mask's boundary is its pixels with a 4-neighbour outside the mask, the image border counting as
outside (as in medpy), so a non-empty mask always has a non-empty boundary. Distances are Euclidean,
in pixels, from exact Euclidean distance transforms (OpenCV's ``DIST_MASK_PRECISE``), computed only
inside the box that holds both boundaries (distances between the two boundaries never leave it).
"""

from __future__ import annotations

import cv2
import numpy as np

from bodyseg.errors import InputError
from bodyseg.metrics.region import MaskLike, as_mask, bounding_slices, check_same_shape

_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


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
    eroded = cv2.erode(m.view(np.uint8), _CROSS, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return m & ~eroded.view(bool)


def _cropped_boundaries(pred: MaskLike, target: MaskLike) -> tuple[np.ndarray, np.ndarray]:
    """Both boundaries, cropped to the box that holds them (empty arrays when both are empty)."""
    p, t = as_mask(pred, "prediction"), as_mask(target, "ground truth")
    check_same_shape(p, t)
    pb, tb = mask_boundary(p), mask_boundary(t)
    box = bounding_slices(pb, tb)
    return (pb[box], tb[box]) if box is not None else (pb[:0, :0], tb[:0, :0])


def _distances(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Distance from each True pixel of ``source`` to the nearest True pixel of ``target`` (non-empty).

    OpenCV returns float32; pixel distances are square roots of integers, so squaring, rounding
    and taking the root again gives them exactly (``tolerance=2`` then matches at 2.0, not 2.00001).
    """
    away = np.ascontiguousarray(~target).view(np.uint8)
    distance = cv2.distanceTransform(away, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[source].astype(np.float64)
    return np.sqrt(np.rint(distance * distance))


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
    pb, tb = _cropped_boundaries(pred, target)
    if not pb.any() or not tb.any():
        return 1.0 if pb.any() == tb.any() else 0.0
    precision = float(np.mean(_distances(pb, tb) <= tolerance))
    recall = float(np.mean(_distances(tb, pb) <= tolerance))
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
    pb, tb = _cropped_boundaries(pred, target)
    if not pb.any() or not tb.any():
        return 0.0 if pb.any() == tb.any() else float("inf")
    distances = np.concatenate([_distances(pb, tb), _distances(tb, pb)])
    return float(np.percentile(distances, 95))
