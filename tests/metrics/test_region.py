"""Region metrics against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bodyseg.errors import InputError
from bodyseg.metrics import (
    ConfusionMeter,
    IoUMeter,
    binary_counts,
    binary_scores,
    bounding_slices,
    class_scores,
    confusion_matrix,
    dice,
    iou,
    precision,
    recall,
)
from bodyseg.result import Segmentation

# pred 2x3:  1 1 0      target: 1 0 0
#            1 0 0              1 1 0
# tp = 2 ((0,0), (1,0)), fp = 1 ((0,1)), fn = 1 ((1,1)), tn = 2
PRED = np.array([[1, 1, 0], [1, 0, 0]], np.uint8)
TARGET = np.array([[1, 0, 0], [1, 1, 0]], bool)
EMPTY = np.zeros((2, 3), bool)


def test_binary_scores_hand_computed() -> None:
    s = binary_scores(PRED, TARGET)
    assert s["iou"] == pytest.approx(2 / 4)  # tp / (tp + fp + fn)
    assert s["dice"] == pytest.approx(4 / 6)  # 2tp / (2tp + fp + fn)
    assert s["precision"] == pytest.approx(2 / 3)  # tp / (tp + fp)
    assert s["recall"] == pytest.approx(2 / 3)  # tp / (tp + fn)
    assert s["pixel_accuracy"] == pytest.approx(4 / 6)  # (tp + tn) / 6


def test_single_functions_match_binary_scores() -> None:
    s = binary_scores(PRED, TARGET)
    assert (iou(PRED, TARGET), dice(PRED, TARGET), precision(PRED, TARGET), recall(PRED, TARGET)) == (
        s["iou"],
        s["dice"],
        s["precision"],
        s["recall"],
    )


def test_precision_and_recall_differ() -> None:
    # pred 1 1 1 0, target 1 0 0 0: tp 1, fp 2, fn 0
    pred, target = np.array([1, 1, 1, 0]), np.array([1, 0, 0, 0])
    assert precision(pred, target) == pytest.approx(1 / 3)
    assert recall(pred, target) == 1.0
    assert iou(pred, target) == pytest.approx(1 / 3)
    assert dice(pred, target) == pytest.approx(2 / 4)


def test_both_empty_scores_one() -> None:
    assert binary_scores(EMPTY, EMPTY) == {
        "iou": 1.0,
        "dice": 1.0,
        "precision": 1.0,
        "recall": 1.0,
        "pixel_accuracy": 1.0,
    }


def test_empty_prediction_scores_zero() -> None:
    s = binary_scores(EMPTY, TARGET)
    assert (s["iou"], s["dice"], s["precision"], s["recall"]) == (0.0, 0.0, 0.0, 0.0)
    assert s["pixel_accuracy"] == pytest.approx(3 / 6)  # the 3 background pixels are right


def test_empty_ground_truth_scores_zero() -> None:
    s = binary_scores(PRED, EMPTY)
    assert (s["iou"], s["dice"], s["precision"], s["recall"]) == (0.0, 0.0, 0.0, 0.0)
    assert s["pixel_accuracy"] == pytest.approx(3 / 6)


def test_segmentation_is_thresholded_at_half() -> None:
    seg = Segmentation(prob=np.array([[0.9, 0.6, 0.1], [0.7, 0.5, 0.0]]))  # 0.5 is not > 0.5
    assert iou(seg, TARGET) == pytest.approx(0.5)


def test_probabilities_and_0_255_masks_are_refused() -> None:
    with pytest.raises(InputError, match="threshold"):
        iou(np.array([0.2, 0.9]), np.array([0, 1]))
    with pytest.raises(InputError, match="mask > 0"):
        iou(np.array([0, 255], np.uint8), np.array([0, 1]))


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(InputError, match="resize"):
        iou(np.zeros((2, 3)), np.zeros((3, 2)))


def test_confusion_matrix_rows_are_ground_truth() -> None:
    pred = np.array([0, 1, 1, 2, 2, 2])
    target = np.array([0, 0, 1, 1, 2, 255])
    cm = confusion_matrix(pred, target, 3, ignore_index=255)
    # gt 0 -> pred 0, 1; gt 1 -> pred 1, 2; gt 2 -> pred 2; the 255 pixel is left out
    assert cm.tolist() == [[1, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert cm.dtype == np.int64


def test_confusion_matrix_refuses_out_of_range_labels() -> None:
    with pytest.raises(InputError, match="ignore_index"):
        confusion_matrix(np.array([0, 1]), np.array([0, 255]), 2)
    with pytest.raises(InputError, match="integers"):
        confusion_matrix(np.array([0.0, 1.0]), np.array([0, 1]), 2)


def test_class_scores_hand_computed() -> None:
    # rows gt, cols pred; class 2 absent from both, class 3 only predicted
    cm = np.array(
        [
            [3, 1, 0, 0],  # gt 0: 4 px
            [1, 2, 0, 1],  # gt 1: 4 px
            [0, 0, 0, 0],  # gt 2: absent
            [0, 0, 0, 0],  # gt 3: absent, predicted once
        ]
    )
    s = class_scores(cm)
    # pred sums: 4, 3, 0, 1; total 8
    assert s["pixel_accuracy"] == pytest.approx(5 / 8)
    # iou: 3/(4+4-3)=3/5, 2/(4+3-2)=2/5, nan, 0/(0+1-0)=0
    np.testing.assert_allclose(s["iou"], [3 / 5, 2 / 5, np.nan, 0.0])
    assert s["mean_iou"] == pytest.approx((3 / 5 + 2 / 5 + 0) / 3)
    # fw_iou: (4/8)*3/5 + (4/8)*2/5 (class 3 has no gt pixels)
    assert s["fw_iou"] == pytest.approx(0.5)
    # dice: 6/8, 4/7, nan, 0
    np.testing.assert_allclose(s["dice"], [6 / 8, 4 / 7, np.nan, 0.0])
    assert s["mean_dice"] == pytest.approx((6 / 8 + 4 / 7) / 3)
    np.testing.assert_allclose(s["precision"], [3 / 4, 2 / 3, np.nan, 0.0])
    np.testing.assert_allclose(s["recall"], [3 / 4, 2 / 4, np.nan, 0.0])
    np.testing.assert_allclose(s["class_accuracy"], [3 / 4, 2 / 4, np.nan, np.nan])
    assert s["mean_class_accuracy"] == pytest.approx((3 / 4 + 2 / 4) / 2)


def test_class_scores_of_empty_matrix_are_nan() -> None:
    s = class_scores(np.zeros((2, 2)))
    assert math.isnan(s["mean_iou"]) and math.isnan(s["pixel_accuracy"]) and math.isnan(s["fw_iou"])


def test_confusion_meter_pools_images() -> None:
    meter = ConfusionMeter(num_classes=2)
    meter.update(np.array([[0, 1]]), np.array([[0, 1]]))
    meter.update(np.array([[1, 1]]), np.array([[0, 1]]))
    assert meter.matrix.tolist() == [[1, 1], [0, 2]]
    s = meter.compute()
    # iou 0: 1/(2+1-1) = 1/2; iou 1: 2/(2+3-2) = 2/3
    assert s["mean_iou"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert s["images"] == 2
    meter.reset()
    with pytest.raises(InputError, match="update"):
        meter.compute()


def test_iou_meter_mean_image_vs_pooled() -> None:
    meter = IoUMeter()
    # image 1: small person, tp 1 fp 1 fn 0 -> IoU 1/2
    meter.update(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))
    # image 2: large person, tp 6 fp 0 fn 2 -> IoU 6/8
    meter.update(np.array([1, 1, 1, 1, 1, 1, 0, 0]), np.ones(8, bool))
    # image 3: both empty -> IoU 1 (per-image convention); adds no counts to the pool
    meter.update(np.zeros(4, bool), np.zeros(4, bool))
    r = meter.compute()
    assert r["mean_image_iou"] == pytest.approx((1 / 2 + 6 / 8 + 1) / 3)
    assert r["pooled_iou"] == pytest.approx(7 / 10)  # tp 7 / (7 + fp 1 + fn 2)
    assert r["mean_image_dice"] == pytest.approx((2 / 3 + 12 / 14 + 1) / 3)
    assert r["pooled_dice"] == pytest.approx(14 / 17)
    assert r["images"] == 3


def test_iou_meter_empty_raises() -> None:
    with pytest.raises(InputError, match="update"):
        IoUMeter().compute()


def test_binary_counts_equal_the_2x2_confusion_matrix() -> None:
    rng = np.random.default_rng(0)
    pred, target = rng.random((30, 40)) < 0.3, rng.random((30, 40)) < 0.6
    (tn, fp), (fn, tp) = confusion_matrix(pred, target, 2).tolist()
    assert binary_counts(pred, target) == (tp, fp, fn, tn)


def test_bounding_slices() -> None:
    a = np.zeros((5, 6), bool)
    a[1, 2] = True
    b = np.zeros((5, 6), bool)
    b[3, 4] = True
    assert bounding_slices(a, b) == (slice(1, 4), slice(2, 5))
    assert bounding_slices(np.zeros((5, 6), bool)) is None
