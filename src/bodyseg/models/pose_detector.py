"""Multi-person pose detection with MediaPipe's BlazePose detector (``pose_detection.tflite``).

The model (``pose_detection.tflite``) is a single-shot detector on a 224x224 letterboxed image
scaled to [-1, 1]. Each of its 2254 anchors predicts a face box and four keypoints:
0 mid-hip, 1 a point whose distance to the mid-hip is the radius of a circle around the whole
body, 2 mid-shoulder, 3 the same for the upper body. We decode the anchors and merge overlapping
detections with weighted non-maximum suppression, as MediaPipe's graph does, but keep every person
instead of only the first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bodyseg.geometry import Letterbox, box_iou
from bodyseg.models.runtime import TFLiteModel, shipped_model_path, sigmoid

DETECTOR_SIZE = 224
#: MediaPipe's SsdAnchorsCalculator options for the pose detector.
ANCHOR_STRIDES = (8, 16, 32, 32, 32)


@dataclass
class Detection:
    """One detected person, in pixels of the image it was found in.

    Attributes:
        score: detector confidence in [0, 1].
        face_box: ``(x0, y0, x1, y1)`` of the face.
        keypoints: 4x2 ``(x, y)``: mid-hip, full-body scale point, mid-shoulder, upper-body scale point.
    """

    score: float
    face_box: np.ndarray
    keypoints: np.ndarray

    @property
    def body_radius(self) -> float:
        """Radius of the circle around the whole body, centred on the mid-hip."""
        return float(np.hypot(*(self.keypoints[1] - self.keypoints[0])))

    def body_box(self) -> np.ndarray:
        """Axis-aligned ``(x0, y0, x1, y1)`` around the whole-body circle."""
        cx, cy = self.keypoints[0]
        r = self.body_radius
        return np.array([cx - r, cy - r, cx + r, cy + r], np.float32)


def ssd_anchors(input_size: int = DETECTOR_SIZE, strides: tuple[int, ...] = ANCHOR_STRIDES) -> np.ndarray:
    """Anchor centres (N x 2, normalised) of MediaPipe's SSD with fixed-size anchors.

    Consecutive layers with the same stride share one grid; each layer adds two anchors
    (aspect ratio 1 and the interpolated scale) per cell.

    Example:
        >>> ssd_anchors().shape  # 28*28*2 + 14*14*2 + 7*7*6
        (2254, 2)
    """
    centres = []
    layer = 0
    while layer < len(strides):
        same = 1
        while layer + same < len(strides) and strides[layer + same] == strides[layer]:
            same += 1
        cells = int(np.ceil(input_size / strides[layer]))
        ys, xs = np.mgrid[:cells, :cells]
        grid = np.stack([(xs.ravel() + 0.5) / cells, (ys.ravel() + 0.5) / cells], axis=1)
        centres.append(np.repeat(grid, 2 * same, axis=0))
        layer += same
    return np.concatenate(centres).astype(np.float32)


def decode_detections(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    anchors: np.ndarray,
    *,
    input_size: int = DETECTOR_SIZE,
    min_score: float = 0.5,
) -> list[Detection]:
    """Detections above ``min_score`` from the raw outputs, in normalised [0, 1] coordinates.

    ``raw_boxes`` is N x (4 + 2K) (centre x, centre y, width, height, then K keypoints x, y: 4 for
    the pose detector, 6 for the face detector) in pixels of the input relative to each anchor
    centre; ``raw_scores`` are logits (clipped to +-100).
    """
    scores = sigmoid(raw_scores.reshape(-1).astype(np.float64), clip=100.0)
    keep = np.flatnonzero(scores >= min_score)
    detections = []
    for i in keep[np.argsort(-scores[keep])]:
        values = raw_boxes[i] / input_size
        cx, cy = values[0] + anchors[i, 0], values[1] + anchors[i, 1]
        w, h = values[2], values[3]
        keypoints = values[4:].reshape(-1, 2) + anchors[i]
        box = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)
        detections.append(Detection(float(scores[i]), box, keypoints.astype(np.float32)))
    return detections


def weighted_nms(detections: list[Detection], iou_threshold: float = 0.3) -> list[Detection]:
    """MediaPipe's weighted non-maximum suppression.

    Take the best remaining detection and every other one whose box overlaps it by more than
    ``iou_threshold``; replace the group by the score-weighted mean of its boxes and keypoints,
    keeping the best score. Repeat on what is left.

    Example:
        >>> a = Detection(0.9, np.array([0, 0, 1, 1.]), np.zeros((4, 2)))
        >>> b = Detection(0.6, np.array([0, 0, 1, 1.2]), np.ones((4, 2)))
        >>> [round(float(v), 2) for v in weighted_nms([a, b])[0].face_box]
        [0.0, 0.0, 1.0, 1.08]
    """
    remaining = sorted(detections, key=lambda d: -d.score)
    merged: list[Detection] = []
    while remaining:
        best = remaining[0]
        group = [d for d in remaining if box_iou(best.face_box, d.face_box) > iou_threshold or d is best]
        remaining = [d for d in remaining if not any(d is g for g in group)]
        weights = np.array([d.score for d in group])[:, None]
        box = (np.stack([d.face_box for d in group]) * weights).sum(0) / weights.sum()
        keypoints = (np.stack([d.keypoints for d in group]) * weights[:, :, None]).sum(0) / weights.sum()
        merged.append(Detection(best.score, box.astype(np.float32), keypoints.astype(np.float32)))
    return merged


class SsdDetector:
    """A MediaPipe single-shot detector run on a letterboxed square in [-1, 1]: anchors decoded,
    overlaps merged by weighted NMS, boxes and keypoints mapped back to the image's pixels.

    Subclasses name the shipped model (:func:`~bodyseg.models.runtime.shipped_model_path`), its input side and its
    anchor strides.
    """

    model: str = ""
    input_size: int = 0
    strides: tuple[int, ...] = ()

    def __init__(
        self, min_score: float = 0.5, iou_threshold: float = 0.3, threads: int = 1, warp: bool = False
    ) -> None:
        self.min_score = min_score
        self.warp = warp  # letterbox as MediaPipe's graph does (Letterbox.fit_exact, a warp) instead of by area
        self.iou_threshold = iou_threshold
        self._model = TFLiteModel(shipped_model_path(self.model), num_threads=threads)
        self._anchors = ssd_anchors(self.input_size, self.strides)

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """What the model finds in an RGB uint8 image, best first, in its pixel coordinates."""
        size = self.input_size
        box = Letterbox.fit_exact(rgb.shape, size) if self.warp else Letterbox.fit(rgb.shape, size)
        outputs = self._model(box.apply(rgb, warp=self.warp)[None].astype(np.float32) / 127.5 - 1.0)
        raw_scores, raw_boxes = sorted(outputs, key=lambda o: o.shape[-1])  # (1, N, 1) scores, (1, N, 4 + 2K) boxes
        found = weighted_nms(
            decode_detections(raw_boxes[0], raw_scores[0], self._anchors, input_size=size, min_score=self.min_score),
            self.iou_threshold,
        )
        for det in found:
            det.face_box = box.points_to_image(det.face_box.reshape(2, 2) * size).reshape(4).astype(np.float32)
            det.keypoints = box.points_to_image(det.keypoints * size).astype(np.float32)
        return found


class PoseDetector(SsdDetector):
    """Find every person in an image (BlazePose detector + weighted NMS).

    Args:
        min_score: detection threshold.
        iou_threshold: boxes overlapping more than this are merged.
        threads: threads of the model runtime.
        warp: shrink the image as MediaPipe's graph does (a bilinear warp) instead of by area averaging.

    Example:
        >>> people = PoseDetector().detect(rgb)  # doctest: +SKIP
        >>> people[0].keypoints[0]  # mid-hip, in pixels  # doctest: +SKIP
    """

    model = "pose_detection"
    input_size = DETECTOR_SIZE
    strides = ANCHOR_STRIDES
