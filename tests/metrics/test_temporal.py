"""Video metrics: dtSSD, mean frame IoU, streamed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bodyseg.errors import InputError
from bodyseg.metrics import TemporalMeter, dtssd, mean_frame_iou


def test_dtssd_hand_computed() -> None:
    # 3 frames of 1x2. pred: [0,0] [1,0] [1,.5]; gt: [0,0] [0,0] [0,1]
    # t=1: dp = [1, 0],  dg = [0, 0] -> diff [1, 0]    -> squares 1, 0
    # t=2: dp = [0, .5], dg = [0, 1] -> diff [0, -.5]  -> squares 0, .25
    # mean over 2 transitions x 2 pixels = 1.25 / 4; dtSSD = 100 * sqrt(0.3125)
    pred = [np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[1.0, 0.5]])]
    gt = [np.zeros((1, 2)), np.zeros((1, 2)), np.array([[0.0, 1.0]])]
    assert dtssd(pred, gt) == pytest.approx(100 * math.sqrt(0.3125))  # 55.90


def test_dtssd_is_zero_when_prediction_moves_with_truth() -> None:
    gt = [np.roll(np.eye(4), k, axis=1) for k in range(4)]
    assert dtssd(gt, gt) == 0.0
    # a constant offset does not count: only changes do
    assert dtssd([0.5 * g + 0.25 for g in gt], [0.5 * g + 0.25 for g in gt]) == 0.0
    assert dtssd([np.full((2, 2), 0.3)] * 3, [np.zeros((2, 2), bool)] * 3) == 0.0


def test_dtssd_accepts_generators_and_bool_masks() -> None:
    pred = (np.array([[k % 2 == 1]]) for k in range(3))  # flips every frame
    gt = (np.zeros((1, 1), bool) for _ in range(3))
    assert dtssd(pred, gt) == pytest.approx(100.0)


def test_single_frame_dtssd_is_nan() -> None:
    assert math.isnan(dtssd([np.zeros((2, 2))], [np.zeros((2, 2))]))


def test_mean_frame_iou_hand_computed() -> None:
    # frame 0: pred .9 .2 vs gt 1 1 -> IoU 1/2; frame 1: both empty -> 1; frame 2: pred .6 .6 vs 0 1 -> 1/2
    pred = [np.array([[0.9, 0.2]]), np.array([[0.1, 0.0]]), np.array([[0.6, 0.6]])]
    gt = [np.array([[1, 1]]), np.array([[0, 0]]), np.array([[0, 1]])]
    assert mean_frame_iou(pred, gt) == pytest.approx((0.5 + 1 + 0.5) / 3)
    # threshold .05: frame 0 pred 1 1 -> IoU 1; frame 1 pred 1 0 vs empty -> 0; frame 2 -> 1/2
    assert mean_frame_iou(pred, gt, threshold=0.05) == pytest.approx((1 + 0 + 0.5) / 3)


def test_meter_streams_frame_by_frame() -> None:
    meter = TemporalMeter()
    meter.update(np.zeros((1, 2)), np.zeros((1, 2)))
    meter.update(np.array([[1.0, 0.0]]), np.zeros((1, 2)))
    r = meter.compute()
    assert r["dtssd"] == pytest.approx(100 * math.sqrt(0.5))
    assert r["mean_frame_iou"] == pytest.approx((1 + 0) / 2)  # both empty, then one empty
    assert r["frames"] == 2
    meter.reset()
    with pytest.raises(InputError, match="update"):
        meter.compute()


def test_bad_frames_are_refused() -> None:
    with pytest.raises(InputError, match="255"):
        dtssd([np.full((2, 2), 255.0)], [np.zeros((2, 2))])
    with pytest.raises(InputError, match="numbers of frames"):
        dtssd([np.zeros((2, 2))] * 3, [np.zeros((2, 2))] * 2)
    with pytest.raises(InputError, match="frame shape changed"):
        dtssd([np.zeros((2, 2)), np.zeros((3, 3))], [np.zeros((2, 2)), np.zeros((3, 3))])
