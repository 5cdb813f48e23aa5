"""Boxes, masks and rotated squares: overlaps, crops and the maps back."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.geometry import (
    Letterbox,
    RotatedSquare,
    box_iou,
    crop_points_to_image,
    crop_square,
    mask_iou,
    paste_square,
    points_to_crop,
)


def test_box_iou():
    assert box_iou(np.array([0, 0, 2, 2]), np.array([0, 0, 2, 2])) == 1.0
    assert box_iou(np.array([0, 0, 2, 2]), np.array([2, 2, 4, 4])) == 0.0
    assert box_iou(np.array([0, 0, 2, 2]), np.array([1, 1, 3, 3])) == pytest.approx(1 / 7)


def test_mask_iou_is_zero_for_two_empty_masks_and_hand_computed_otherwise():
    a = np.zeros((4, 4), bool)
    b = np.zeros((4, 4), bool)
    assert mask_iou(a, b) == 0.0
    a[:2] = True  # 8 pixels
    b[1:3] = True  # 8 pixels, 4 shared
    assert mask_iou(a, b) == pytest.approx(4 / 12)


def test_crop_then_paste_is_the_identity_inside_the_region():
    yy, xx = np.mgrid[:120, :160]
    values = ((xx + 2 * yy) % 255).astype(np.float32) / 255.0
    roi = RotatedSquare(80.0, 60.0, 64.0, 0.4)
    rgb = np.dstack([values * 255] * 3).astype(np.uint8)
    patch = crop_square(rgb, roi, 128)[..., 0].astype(np.float32) / 255.0
    back = paste_square(patch, roi, values.shape)
    inner = np.hypot(xx - 80, yy - 60) < 25  # well inside the rotated square
    assert np.abs(back[inner] - values[inner]).mean() < 0.02
    assert back[0, 0] == 0.0 and back[-1, -1] == 0.0  # outside the region: nothing pasted


def test_points_go_into_a_turned_crop_and_back():
    square = RotatedSquare(30.0, 40.0, 50.0, -1.1)
    points = np.array([[10.0, 20.0], [30.0, 40.0], [55.5, 12.25]])
    in_crop = points_to_crop(points, square, 256)
    assert np.allclose(in_crop[1], [128, 128])  # the centre goes to the crop's centre
    assert np.allclose(crop_points_to_image(in_crop, square, 256), points)


def test_exact_letterbox_centres_the_image_with_fractional_padding():
    box = Letterbox.fit_exact((100, 201), 224)
    assert box.left == 0 and box.top == pytest.approx((224 - 100 * 224 / 201) / 2)
    square = box.apply(np.full((100, 201), 200, np.uint8), warp=True).astype(float)
    rows = square.mean(axis=1)
    inside = np.flatnonzero(rows > 100)
    # the padding above and below the content differs by less than a pixel: the split is exact
    assert abs(inside[0] - (223 - inside[-1])) <= 1
    assert box.points_to_image(np.array([[112.0, 112.0]])) == pytest.approx(np.array([[100.5, 50.0]]), abs=1e-9)
    with pytest.raises(ValueError, match="warp=True"):
        box.apply(np.zeros((100, 201), np.uint8))
