"""Boundary F-score and HD95 against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bodyseg.errors import InputError
from bodyseg.metrics import boundary_f_score, hausdorff95, mask_boundary


def square(shape: tuple[int, int], rows: slice, cols: slice) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[rows, cols] = True
    return m


def test_boundary_of_square_is_its_ring_and_border_counts() -> None:
    m = square((5, 5), slice(1, 4), slice(1, 4))
    assert mask_boundary(m).sum() == 8  # 3x3 minus the centre
    full = np.ones((3, 3), bool)
    assert mask_boundary(full).sum() == 8  # the image border counts as outside


def test_boundary_f_score_shifted_square() -> None:
    # gt: 3x3 square rows 1-3, cols 2-4; pred: the same shifted one column left (cols 1-3).
    # Of pred's 8 boundary pixels, 4 lie on gt's boundary ((1,2),(1,3),(3,2),(3,3)) and 4 are
    # 1 px away ((1,1),(2,1),(3,1),(2,3): (2,3) is gt's centre). Symmetric for gt.
    gt = square((6, 6), slice(1, 4), slice(2, 5))
    pred = square((6, 6), slice(1, 4), slice(1, 4))
    assert boundary_f_score(pred, gt, tolerance=0.5) == pytest.approx(0.5)  # P = R = 4/8
    assert boundary_f_score(pred, gt, tolerance=1.0) == 1.0
    assert boundary_f_score(gt, gt, tolerance=0.0) == 1.0


def test_boundary_f_score_unequal_precision_recall() -> None:
    # gt: one pixel at (0, 0); pred: pixels (0, 0) and (0, 5). P = 1/2, R = 1, F = 2/3.
    gt = np.zeros((3, 8), bool)
    gt[0, 0] = True
    pred = gt.copy()
    pred[0, 5] = True
    assert boundary_f_score(pred, gt, tolerance=2) == pytest.approx(2 / 3)


def test_boundary_f_score_empty_cases() -> None:
    empty = np.zeros((4, 4), bool)
    some = square((4, 4), slice(1, 3), slice(1, 3))
    assert boundary_f_score(empty, empty) == 1.0
    assert boundary_f_score(empty, some) == 0.0
    assert boundary_f_score(some, empty) == 0.0


def test_hausdorff95_single_pixels() -> None:
    # (0, 0) vs (3, 4): every distance is 5
    a = np.zeros((5, 5), bool)
    a[0, 0] = True
    b = np.zeros((5, 5), bool)
    b[3, 4] = True
    assert hausdorff95(a, b) == pytest.approx(5.0)


def test_hausdorff95_ignores_a_few_outliers() -> None:
    # gt: a 1-px line, row 0 cols 0-9 (all 10 pixels are boundary). pred: the same line plus
    # stray pixels (3, 0) and (3, 9), each 3 px from the line. Pooled distances: 20 zeros and two
    # 3s (22 values); the 95th percentile sits at rank 0.95 * 21 = 19.95 between a 0 (rank 19)
    # and a 3 (rank 20): 0 + 0.95 * 3 = 2.85. The plain Hausdorff distance would be 3.
    gt = np.zeros((4, 10), bool)
    gt[0, :] = True
    pred = gt.copy()
    pred[3, 0] = pred[3, 9] = True
    assert hausdorff95(pred, gt) == pytest.approx(2.85)


def test_hausdorff95_empty_cases() -> None:
    empty = np.zeros((4, 4), bool)
    some = square((4, 4), slice(1, 3), slice(1, 3))
    assert hausdorff95(empty, empty) == 0.0
    assert math.isinf(hausdorff95(empty, some))
    assert math.isinf(hausdorff95(some, empty))
    assert hausdorff95(some, some) == 0.0


def test_boundary_metrics_need_2d_masks() -> None:
    with pytest.raises(InputError, match="HxW"):
        hausdorff95(np.zeros((2, 2, 2), bool), np.zeros((2, 2, 2), bool))


def test_distances_are_exact_at_the_tolerance() -> None:
    # pred pixel (0, 0), gt pixel (1, 2): distance sqrt(5) = 2.2360679..., matched at exactly that
    pred = np.zeros((4, 4), bool)
    pred[0, 0] = True
    gt = np.zeros((4, 4), bool)
    gt[1, 2] = True
    assert boundary_f_score(pred, gt, tolerance=5**0.5) == 1.0
    assert boundary_f_score(pred, gt, tolerance=5**0.5 - 1e-9) == 0.0
    assert hausdorff95(pred, gt) == 5**0.5


def test_matches_scipy_distance_transform_on_random_masks() -> None:
    from scipy import ndimage

    rng = np.random.default_rng(0)
    for _ in range(5):
        pred = ndimage.binary_opening(rng.random((40, 50)) < 0.5)
        gt = ndimage.binary_opening(rng.random((40, 50)) < 0.5)
        cross = ndimage.generate_binary_structure(2, 1)
        pb = pred & ~ndimage.binary_erosion(pred, cross, border_value=0)
        tb = gt & ~ndimage.binary_erosion(gt, cross, border_value=0)
        d_pred, d_gt = ndimage.distance_transform_edt(~tb)[pb], ndimage.distance_transform_edt(~pb)[tb]
        assert hausdorff95(pred, gt) == pytest.approx(np.percentile(np.concatenate([d_pred, d_gt]), 95))
        p, r = np.mean(d_pred <= 1.5), np.mean(d_gt <= 1.5)
        assert boundary_f_score(pred, gt, tolerance=1.5) == pytest.approx(2 * p * r / (p + r))
