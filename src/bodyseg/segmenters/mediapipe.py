"""The MediaPipe models shipped inside the ``mediapipe==0.10.14`` wheel, run offline.

``SelfieSegmenter`` wraps selfie segmentation (person probability per pixel); ``PoseSegmenter``
wraps the pose landmarker with its segmentation output (one person: a mask and 33 keypoints).
Nothing is downloaded: only ``model_complexity=1`` of the pose model ships in the wheel.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

import numpy as np

from bodyseg.errors import MethodError
from bodyseg.models.runtime import native_stderr_silenced
from bodyseg.result import Person, Segmentation, box_of_mask
from bodyseg.segmenters.base import Segmenter

log = logging.getLogger(__name__)

SELFIE_MODELS = {"general": 0, "landscape": 1}


def import_mediapipe() -> Any:
    """Import mediapipe quietly (its C++ logging and protobuf warnings are noise for our users)."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)
    try:
        import mediapipe
    except ImportError as exc:  # pragma: no cover - mediapipe is a hard dependency
        raise MethodError(f"mediapipe is not installed ({exc}); run: pip install mediapipe==0.10.14") from None
    return mediapipe


class SelfieSegmenter(Segmenter):
    """MediaPipe selfie segmentation.

    Args:
        model: ``"general"`` (256x256 input, the default) or ``"landscape"`` (144x256, faster).

    Fails on: people far from the camera and full bodies (made for video calls); calls animals and
    person-like shapes "person" in scenes without people. Cost: about 10-15 ms at 640x480 here.

    Example:
        >>> seg = SelfieSegmenter(model="landscape").segment("photo.jpg")  # doctest: +SKIP
    """

    name = "mediapipe-selfie"

    def __init__(self, model: str = "general") -> None:
        if model not in SELFIE_MODELS:
            raise MethodError(f"unknown selfie model {model!r}; choose one of: {', '.join(SELFIE_MODELS)}")
        self.model = model
        mp = import_mediapipe()
        with native_stderr_silenced():
            self._graph = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=SELFIE_MODELS[model])

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        with native_stderr_silenced():
            mask = self._graph.process(np.ascontiguousarray(rgb)).segmentation_mask
        prob = np.clip(np.asarray(mask, np.float32), 0.0, 1.0)
        return Segmentation(prob=prob, meta={"model": self.model})

    def close(self) -> None:
        if getattr(self, "_graph", None) is not None:
            self._graph.close()
            self._graph = None


class PoseSegmenter(Segmenter):
    """MediaPipe pose landmarker with segmentation: one person's mask and 33 keypoints.

    Args:
        min_detection_confidence: the person detector's threshold.
        min_visibility: keypoints below this visibility are kept but marked in ``keypoints[:, 2]``.

    Fails on: several people (it follows one), people cut off at the frame edge, very small
    people the detector misses (then the mask is empty and a warning is recorded). Cost: about
    60 ms at 640x480 here.

    Example:
        >>> seg = PoseSegmenter().segment("dancer.jpg")  # doctest: +SKIP
        >>> seg.people[0].keypoints.shape  # doctest: +SKIP
        (33, 3)
    """

    name = "mediapipe-pose"

    def __init__(self, min_detection_confidence: float = 0.5) -> None:
        mp = import_mediapipe()
        self.min_detection_confidence = float(min_detection_confidence)
        with native_stderr_silenced():
            self._graph = mp.solutions.pose.Pose(
                static_image_mode=True,
                model_complexity=1,
                enable_segmentation=True,
                min_detection_confidence=self.min_detection_confidence,
            )

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        with native_stderr_silenced():
            out = self._graph.process(np.ascontiguousarray(rgb))
        h, w = rgb.shape[:2]
        if out.pose_landmarks is None or out.segmentation_mask is None:
            result = Segmentation(prob=np.zeros((h, w), np.float32))
            result.warn("no person detected")
            return result
        prob = np.clip(np.asarray(out.segmentation_mask, np.float32), 0.0, 1.0)
        keypoints = landmarks_to_pixels(out.pose_landmarks.landmark, w, h)
        mask = prob > 0.5
        person = Person(mask=mask, box=box_of_mask(mask), score=float(keypoints[:, 2].mean()), keypoints=keypoints)
        return Segmentation(prob=prob, people=[person])

    def close(self) -> None:
        if getattr(self, "_graph", None) is not None:
            self._graph.close()
            self._graph = None


def landmarks_to_pixels(landmarks: Any, width: int, height: int) -> np.ndarray:
    """Kx3 float32 ``(x, y, visibility)`` in pixels from MediaPipe's normalised landmarks."""
    return np.array([(lm.x * width, lm.y * height, lm.visibility) for lm in landmarks], dtype=np.float32)
