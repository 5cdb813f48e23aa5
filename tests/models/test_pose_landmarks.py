"""Rotated crops around a person and mapping the model's output back."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.geometry import RotatedSquare, crop_points_to_image
from bodyseg.models.pose_detector import Detection
from bodyseg.models.pose_landmarks import LANDMARK_SIZE, roi_from_detection, roi_from_points


def test_roi_is_upright_for_a_standing_person():
    det = Detection(1.0, np.zeros(4), np.array([[50, 100], [50, 20], [50, 60], [50, 40]], np.float32))
    roi = roi_from_detection(det)
    assert (roi.cx, roi.cy, roi.side) == (50.0, 100.0, 200.0) and roi.angle == pytest.approx(0.0)


def test_roi_turns_with_a_lying_person():
    roi = roi_from_points(np.array([100.0, 100.0]), np.array([180.0, 100.0]))  # body to the right of the hips
    assert roi.side == pytest.approx(200.0)
    # the scale point must end up straight above the centre of the crop
    top = crop_points_to_image(
        np.array([[128.0, 128.0 - 128.0 * 0.8]]), roi, LANDMARK_SIZE
    )  # 80 px above in image scale
    assert np.allclose(top, [[180.0, 100.0]], atol=1e-6)


def test_points_round_trip():
    roi = RotatedSquare(30.0, 40.0, 50.0, -1.1)
    points = np.array([[10.0, 20.0], [30.0, 40.0], [55.5, 12.25]])
    matrix = roi.crop_matrix(256)
    in_crop = points @ matrix[:, :2].T + matrix[:, 2]
    assert np.allclose(in_crop[1], [128, 128])
    assert np.allclose(crop_points_to_image(in_crop, roi, LANDMARK_SIZE), points)
