"""Per-person pose landmarks and mask: BlazePose's landmark model on a rotated crop.

From a :class:`~bodyseg.models.pose_detector.Detection`, the region of interest is a square centred on
the mid-hip, turned so the hip-to-body-scale vector points up, with side 2.5 times the body
radius (MediaPipe's 1.25 margin on the circle's diameter). The 256x256 crop goes through
``pose_landmark_full.tflite``, which gives 39 landmarks (33 body + 6 auxiliary) and a
segmentation of the person in the crop; both are mapped back to the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bodyseg.errors import MethodError
from bodyseg.geometry import RotatedSquare, crop_points_to_image, crop_square, paste_square
from bodyseg.models.pose_detector import Detection
from bodyseg.models.runtime import TFLiteModel, shipped_model_path, sigmoid

LANDMARK_SIZE = 256
#: The landmark models shipped: the same contract; lite is faster, full more accurate. (MediaPipe's
#: heavy model was measured in the default method and gained nothing: it is not shipped; docs/pipeline.md.)
LANDMARK_VARIANTS = ("lite", "full")
#: MediaPipe's RectTransformationCalculator scale for the pose ROI.
ROI_SCALE = 1.25


def roi_from_detection(det: Detection, scale: float = ROI_SCALE) -> RotatedSquare:
    """The landmark model's region for a detection (mid-hip centre, body-circle size, upright).

    Example:
        >>> d = Detection(1.0, np.zeros(4), np.array([[50, 100], [50, 20], [50, 60], [50, 40]], float))
        >>> r = roi_from_detection(d)
        >>> (r.cx, r.cy, r.side, round(r.angle, 6))
        (50.0, 100.0, 200.0, 0.0)
    """
    return roi_from_points(det.keypoints[0], det.keypoints[1], scale)


def roi_from_points(centre: np.ndarray, scale_point: np.ndarray, scale: float = ROI_SCALE) -> RotatedSquare:
    """Square centred on ``centre``, side ``2 * scale * |scale_point - centre|``, turned so that
    ``scale_point`` is straight above the centre in the crop."""
    (x0, y0), (x1, y1) = centre, scale_point
    angle = np.pi / 2 - np.arctan2(-(y1 - y0), x1 - x0)
    angle = (angle + np.pi) % (2 * np.pi) - np.pi
    side = 2.0 * float(np.hypot(x1 - x0, y1 - y0)) * scale
    return RotatedSquare(float(x0), float(y0), side, float(angle))


@dataclass
class LandmarkResult:
    """One person's landmarks and mask, in image pixels.

    Attributes:
        keypoints: 33x3 ``(x, y, visibility)``.
        presence: the model's confidence that a person is in the crop.
        prob: HxW person probability (zero outside the crop).
        roi: the region the model looked at.
        alignment: 2x2 mid-hip and body-scale points (the model's auxiliary landmarks 33 and 34),
            from which the next region is computed (:meth:`next_roi`).
        found_by: what found the person the region came from (``"pose"``: the pose detector;
            ``"nanodet"``: the face-free detector).
        carried: video: frames in a row this result was carried over unchanged, without a landmark
            run, because the person's box did not change (0: read on this frame).
    """

    keypoints: np.ndarray
    presence: float
    prob: np.ndarray
    roi: RotatedSquare
    alignment: np.ndarray
    found_by: str = "pose"
    carried: int = 0

    def next_roi(self) -> RotatedSquare:
        """The region the landmarks themselves suggest (MediaPipe's second pass / next video frame)."""
        return roi_from_points(self.alignment[0], self.alignment[1])


class LandmarkModel:
    """BlazePose's landmark model with segmentation: ``variant`` lite or full (MediaPipe's
    ``model_complexity=1``, the default).

    Example:
        >>> person = LandmarkModel().run(rgb, roi_from_detection(detection))  # doctest: +SKIP
        >>> person.keypoints.shape  # doctest: +SKIP
        (33, 3)
    """

    def __init__(self, threads: int = 1, variant: str = "full") -> None:
        if variant not in LANDMARK_VARIANTS:
            raise MethodError(f"unknown landmark model {variant!r}; choose one of: {', '.join(LANDMARK_VARIANTS)}")
        self.variant = variant
        self._model = TFLiteModel(shipped_model_path(f"pose_landmark_{variant}"), num_threads=threads)

    def run_crop(self, crop_rgb: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        """Raw model on a 256x256 RGB crop: (39x5 landmarks in crop pixels, presence, 256x256 probability)."""
        landmarks, flag, segmentation, _heatmap, _world = self._model(crop_rgb[None].astype(np.float32) / 255.0)
        return landmarks.reshape(39, 5), float(flag.reshape(-1)[0]), sigmoid(segmentation[0, :, :, 0])

    def run(self, rgb: np.ndarray, roi: RotatedSquare) -> LandmarkResult:
        """Landmarks and mask of the person in ``roi``, mapped back to ``rgb``'s pixels."""
        landmarks, presence, crop_prob = self.run_crop(crop_square(rgb, roi, LANDMARK_SIZE))
        points = crop_points_to_image(landmarks[:35, :2].astype(np.float64), roi, LANDMARK_SIZE)
        visibility = sigmoid(landmarks[:33, 3])
        keypoints = np.column_stack([points[:33], visibility]).astype(np.float32)
        return LandmarkResult(
            keypoints, presence, paste_square(crop_prob, roi, rgb.shape[:2]), roi, points[33:35].astype(np.float32)
        )
