"""Part metrics against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.errors import InputError
from bodyseg.metrics import PartMeter, normalized_confusion, part_scores, per_class_rows
from bodyseg.metrics.parts import scores_with_names

NAMES = ("background", "head", "torso")


def test_three_classes_by_hand():
    # truth:  0 0 1 1 2 2 2 2      pred: 0 1 1 1 2 2 0 2
    truth = np.array([[0, 0, 1, 1], [2, 2, 2, 2]])
    pred = np.array([[0, 1, 1, 1], [2, 2, 0, 2]])
    s = part_scores(pred, truth, NAMES)
    # background: tp 1, fp 1 (a torso pixel), fn 1 (given to head) -> IoU 1/3, acc 1/2
    # head: tp 2, fp 1, fn 0 -> IoU 2/3, acc 1;  torso: tp 3, fp 0, fn 1 -> IoU 3/4, acc 3/4
    assert s["iou"] == pytest.approx([1 / 3, 2 / 3, 3 / 4])
    assert s["class_accuracy"] == pytest.approx([1 / 2, 1.0, 3 / 4])
    assert s["mean_iou"] == pytest.approx((1 / 3 + 2 / 3 + 3 / 4) / 3)
    assert s["pixel_accuracy"] == pytest.approx(6 / 8)
    assert s["mean_class_accuracy"] == pytest.approx((1 / 2 + 1 + 3 / 4) / 3)
    # frequencies 2/8, 2/8, 4/8
    assert s["fw_iou"] == pytest.approx(2 / 8 * 1 / 3 + 2 / 8 * 2 / 3 + 4 / 8 * 3 / 4)
    assert s["confusion"].tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 3]]


def test_meter_pools_pixels_not_images():
    meter = PartMeter(NAMES)
    meter.update(np.array([1, 1]), np.array([1, 1]))  # head perfect on image 1
    meter.update(np.array([0, 0, 0, 0]), np.array([1, 1, 1, 1]))  # head missed on image 2 (4 px)
    s = meter.compute()
    # pooled: head tp 2, fn 4 -> IoU 1/3 (a per-image mean would give 1/2); torso absent: NaN, left out
    assert s["iou"][1] == pytest.approx(1 / 3)
    assert np.isnan(s["iou"][2])
    assert s["mean_iou"] == pytest.approx((0.0 + 1 / 3) / 2)
    assert s["images"] == 2
    meter.reset()
    with pytest.raises(InputError, match="empty"):
        meter.compute()


def test_ignore_index_leaves_void_pixels_out():
    meter = PartMeter(("background", "head"), ignore_index=255)
    meter.update(np.array([1, 0, 1]), np.array([1, 255, 255]))
    assert meter.matrix.tolist() == [[0, 0], [0, 1]]


def test_per_class_rows_and_normalized_confusion():
    s = part_scores(np.array([0, 2, 2]), np.array([0, 2, 1]), NAMES)
    rows = per_class_rows(s)
    assert [r["name"] for r in rows] == list(NAMES)
    assert rows[1] == {"id": 1, "name": "head", "iou": 0.0, "accuracy": 0.0, "pixels": 1}
    assert rows[2]["iou"] == pytest.approx(0.5)
    assert normalized_confusion(s["confusion"])[1].tolist() == [0.0, 0.0, 1.0]


def test_errors_name_the_problem():
    with pytest.raises(InputError, match="num_classes=3"):
        part_scores(np.array([3]), np.array([0]), NAMES)
    with pytest.raises(InputError, match="part names"):
        scores_with_names(np.zeros((3, 3), np.int64), ("background", "head"))
