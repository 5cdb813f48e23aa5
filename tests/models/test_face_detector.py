"""The face detector: BlazeFace's anchors and six keypoints decoded with the pose detector's code."""

from __future__ import annotations

import numpy as np

import bodyseg
from bodyseg.models.face_detector import FACE_ANCHOR_STRIDES, FACE_SIZE, FaceDetector
from bodyseg.models.pose_detector import decode_detections, ssd_anchors


def test_face_anchor_layout_matches_mediapipe():
    anchors = ssd_anchors(FACE_SIZE, FACE_ANCHOR_STRIDES)
    assert anchors.shape == (896, 2)  # 16x16 cells x 2 anchors, then 8x8 cells x 6 anchors
    assert np.allclose(anchors[0], [0.5 / 16, 0.5 / 16]) and np.allclose(anchors[16 * 16 * 2], [0.5 / 8, 0.5 / 8])


def test_decoding_six_keypoints():
    anchors = np.array([[0.5, 0.5]], np.float32)
    raw = np.zeros((1, 16), np.float32)
    raw[0, :4] = [12.8, 0.0, 25.6, 25.6]  # centre +0.1, 0.2 wide and high
    raw[0, 4:] = np.arange(12) * 1.28  # keypoint k at anchor + (0.01 * 2k, 0.01 * (2k + 1))
    (face,) = decode_detections(raw, np.array([3.0]), anchors, input_size=FACE_SIZE)
    assert np.allclose(face.face_box, [0.5, 0.4, 0.7, 0.6])
    assert face.keypoints.shape == (6, 2) and np.allclose(face.keypoints[5], [0.6, 0.61])


def test_finds_the_astronauts_face_and_no_face_in_a_flat_image():
    detector = FaceDetector()
    (face,) = detector.detect(bodyseg.read_image(bodyseg.example_image()))
    x0, y0, x1, y1 = face.face_box
    assert face.score > 0.75 and 150 < x0 < x1 < 300 and 60 < y0 < y1 < 200  # her face, top centre of the 512x512 photo
    eyes, nose = face.keypoints[:2], face.keypoints[2]
    assert np.all(eyes[:, 1] < nose[1]) and x0 < nose[0] < x1  # eyes above the nose, inside the box
    assert detector.detect(np.full((300, 400, 3), 128, np.uint8)) == []
