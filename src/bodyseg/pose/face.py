"""Face detection with BlazeFace (short range), shipped in mediapipe 0.10.14.

The pose detector was made for bodies: a face and shoulders filling the frame (a selfie, a
portrait) often goes unseen. The face detector finds exactly those, and it rarely fires on the
animals and objects of person-free scenes, so the pipeline uses it to decide when a frame where
no body was found deserves a second look (:func:`bodyseg.segmenters.pipeline.locate_people`).

``face_detection_short_range.tflite``: 128x128 letterboxed input in [-1, 1], 896 anchors
(strides 8, 16, 16, 16), each a face box and 6 keypoints (eyes, nose tip, mouth, ear tragions).
Decoded and merged with the pose detector's code.
"""

from __future__ import annotations

import numpy as np

from bodyseg.geometry import Letterbox
from bodyseg.pose.detector import Detection, decode_detections, ssd_anchors, weighted_nms
from bodyseg.tflite import TFLiteModel, mediapipe_model_path

FACE_SIZE = 128
#: MediaPipe's SsdAnchorsCalculator strides for the short-range face detector.
FACE_ANCHOR_STRIDES = (8, 16, 16, 16)


class FaceDetector:
    """Find faces in an image (BlazeFace short range + weighted NMS).

    Args:
        min_score: detection threshold.
        iou_threshold: boxes overlapping more than this are merged.
        threads: threads of the model runtime.

    Returns :class:`~bodyseg.pose.detector.Detection` objects whose ``face_box`` is the face and
    whose ``keypoints`` are 6x2: right eye, left eye, nose tip, mouth, right ear, left ear.

    Example:
        >>> faces = FaceDetector().detect(rgb)  # doctest: +SKIP
        >>> faces[0].face_box  # (x0, y0, x1, y1) in pixels  # doctest: +SKIP
    """

    def __init__(self, min_score: float = 0.5, iou_threshold: float = 0.3, threads: int = 1) -> None:
        self.min_score = min_score
        self.iou_threshold = iou_threshold
        self._model = TFLiteModel(mediapipe_model_path("face_detection/face_detection_short_range.tflite"), num_threads=threads)
        self._anchors = ssd_anchors(FACE_SIZE, FACE_ANCHOR_STRIDES)

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """Faces found in an RGB uint8 image, best first, in its pixel coordinates."""
        box = Letterbox.fit(rgb.shape, FACE_SIZE)
        outputs = self._model(box.apply(rgb)[None].astype(np.float32) / 127.5 - 1.0)
        raw_scores, raw_boxes = sorted(outputs, key=lambda o: o.shape[-1])  # (1, 896, 1) and (1, 896, 16)
        found = weighted_nms(
            decode_detections(raw_boxes[0], raw_scores[0], self._anchors, input_size=FACE_SIZE, min_score=self.min_score), self.iou_threshold
        )
        for det in found:
            det.face_box = box.points_to_image(det.face_box.reshape(2, 2) * FACE_SIZE).reshape(4).astype(np.float32)
            det.keypoints = box.points_to_image(det.keypoints * FACE_SIZE).astype(np.float32)
        return found
