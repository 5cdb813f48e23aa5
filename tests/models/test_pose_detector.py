"""BlazePose detector: anchors, decoding and weighted NMS on hand-made cases, then on real photos."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.geometry import Letterbox
from bodyseg.io import read_image
from bodyseg.models.pose_detector import Detection, PoseDetector, decode_detections, ssd_anchors, weighted_nms
from tests.conftest import dataset_path


def test_anchor_layout_matches_mediapipe():
    anchors = ssd_anchors()
    assert anchors.shape == (2254, 2)
    # first layer: stride 8 -> 28x28 cells, 2 anchors per cell, first cell centre at half a cell
    assert np.allclose(anchors[0], [0.5 / 28, 0.5 / 28]) and np.allclose(anchors[1], anchors[0])
    assert np.allclose(anchors[2], [1.5 / 28, 0.5 / 28])
    # the last three layers share stride 32: 7x7 cells, 6 anchors each, last one at the corner cell
    assert np.allclose(anchors[-1], [6.5 / 7, 6.5 / 7])
    assert np.allclose(anchors[28 * 28 * 2 + 14 * 14 * 2], [0.5 / 7, 0.5 / 7])


def test_decoding_a_hand_made_prediction():
    anchors = np.array([[0.25, 0.5], [0.75, 0.5]], np.float32)
    raw = np.zeros((2, 12), np.float32)
    # anchor 1 predicts a box shifted +22.4 px (0.1 of 224) in x, 44.8 x 22.4 px large,
    # and keypoints at anchor + (0, -11.2 px) etc.
    raw[1, :4] = [22.4, 0.0, 44.8, 22.4]
    raw[1, 4:] = [0, -11.2, 0, 11.2, 22.4, 0, -22.4, 0]
    scores = np.array([-3.0, 2.0], np.float32)  # sigmoid: 0.047, 0.881
    found = decode_detections(raw, scores, anchors, input_size=224, min_score=0.5)
    assert len(found) == 1
    det = found[0]
    assert det.score == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert np.allclose(det.face_box, [0.85 - 0.1, 0.5 - 0.05, 0.85 + 0.1, 0.5 + 0.05])
    assert np.allclose(det.keypoints, [[0.75, 0.45], [0.75, 0.55], [0.85, 0.5], [0.65, 0.5]])


def test_scores_are_clipped_not_overflowing():
    anchors = np.zeros((2, 2), np.float32)
    found = decode_detections(np.zeros((2, 12), np.float32), np.array([1e6, -1e6], np.float32), anchors)
    assert len(found) == 1 and found[0].score == pytest.approx(1.0)


def test_weighted_nms_merges_overlaps_and_keeps_separate_people():
    def det(score, box, k):
        return Detection(score, np.array(box, np.float32), np.full((4, 2), k, np.float32))

    a = det(0.9, [0, 0, 10, 10], 0.0)
    b = det(0.3, [1, 0, 11, 10], 3.0)  # IoU with a = 90/110 = 0.82: merged into a
    c = det(0.8, [50, 50, 60, 60], 7.0)  # elsewhere: its own person
    merged = weighted_nms([b, c, a], iou_threshold=0.3)
    assert [round(m.score, 2) for m in merged] == [0.9, 0.8]
    # weighted mean of a and b: x0 = (0*0.9 + 1*0.3)/1.2 = 0.25; keypoints (0*0.9 + 3*0.3)/1.2 = 0.75
    assert np.allclose(merged[0].face_box, [0.25, 0, 10.25, 10])
    assert np.allclose(merged[0].keypoints, 0.75)
    assert np.allclose(merged[1].face_box, c.face_box)


def test_letterbox_keeps_aspect_ratio_and_inverts():
    rgb = np.full((100, 200, 3), 255, np.uint8)
    box = Letterbox.fit(rgb.shape, 224)
    square = box.apply(rgb)
    assert square.shape == (224, 224, 3) and box.scale == pytest.approx(1.12) and (box.left, box.top) == (0, 56)
    assert square[55].max() == 0 and square[56].min() == 255 and square[56 + 112].max() == 0
    ramp = np.tile(np.linspace(0, 1, 200, dtype=np.float32), (100, 1))
    assert np.abs(box.invert(box.apply(ramp)) - ramp).max() < 0.01
    assert np.allclose(box.points_to_image([[0, 56], [224, 168]]), [[0, 0], [200, 100]])


def test_detects_the_person_in_a_ccp_photo():
    root = dataset_path("ccp")
    rgb = read_image(root / "images" / "0001.jpg")
    truth = read_image(root / "masks" / "0001.png")[..., 0] > 127
    people = PoseDetector().detect(rgb)
    assert len(people) >= 1 and people[0].score > 0.8
    hip = people[0].keypoints[0].round().astype(int)
    assert truth[hip[1], hip[0]]  # the mid-hip keypoint lies on the person
    x0, y0, x1, y1 = people[0].body_box()
    ys, xs = np.nonzero(truth)
    assert x0 < xs.mean() < x1 and y0 < ys.mean() < y1


def test_finds_nobody_in_a_flat_image():
    assert PoseDetector().detect(np.full((300, 200, 3), 127, np.uint8)) == []
