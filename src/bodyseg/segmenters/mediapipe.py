"""MediaPipe's two segmentation solutions as reference methods, run on the same .tflite files the
mediapipe wheel carries (shipped in bodyseg's own package: no mediapipe install needed).

``mediapipe-selfie`` is selfie segmentation: the whole image stretched to the model's input as
MediaPipe's graph does it, its probability resized back. ``mediapipe-pose`` is the pose landmarker
in still-image mode: the pose detector's best detection, the landmark model on the region it
gives, its mask and 33 keypoints.
How close they come to the wheel's own graphs on every data set: ``docs/methods.md``.
"""

from __future__ import annotations

import cv2
import numpy as np

from bodyseg.models.pose_detector import PoseDetector
from bodyseg.models.pose_landmarks import LandmarkModel, roi_from_detection
from bodyseg.models.selfie import SELFIE_MODELS, SelfieModel
from bodyseg.result import Person, Segmentation, box_of_mask
from bodyseg.segmenters.base import Segmenter
from bodyseg.segmenters.options import check_choice, check_float, check_int

#: The landmark model's presence below which MediaPipe's graph reports nobody.
MIN_PRESENCE = 0.5


class SelfieSegmenter(Segmenter):
    """MediaPipe selfie segmentation.

    Args:
        model: ``"general"`` (256x256 input, the default) or ``"landscape"`` (144x256, faster).
        threads: threads of the model runtime.

    Fails on: people far from the camera and full bodies (made for video calls); calls animals and
    person-like shapes "person" in scenes without people. Cost: about 6 ms a photo here.

    Example:
        >>> seg = SelfieSegmenter(model="landscape").segment("photo.jpg")  # doctest: +SKIP
    """

    name = "mediapipe-selfie"

    def __init__(self, model: str = "general", threads: int = 1) -> None:
        self.model = check_choice("model", model, tuple(SELFIE_MODELS))
        self._selfie = SelfieModel(check_int("threads", threads, 1, 64), variant=model, resize="mediapipe")

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        h, w = rgb.shape[:2]
        prob = cv2.resize(self._selfie(rgb), (w, h), interpolation=cv2.INTER_LINEAR)
        return Segmentation(prob=np.clip(prob, 0.0, 1.0), meta={"model": self.model})


class PoseSegmenter(Segmenter):
    """MediaPipe pose landmarker with segmentation, on a still image: one person's mask and 33 keypoints.

    Args:
        min_detection_confidence: the person detector's threshold.
        threads: threads of the model runtime.

    Fails on: several people (it takes the detector's best one), people cut off at the frame
    edge, very small people the detector misses (then the mask is empty and a warning is
    recorded). Cost: about 40 ms a photo here.

    Example:
        >>> seg = PoseSegmenter().segment("dancer.jpg")  # doctest: +SKIP
        >>> seg.people[0].keypoints.shape  # doctest: +SKIP
        (33, 3)
    """

    name = "mediapipe-pose"

    def __init__(self, min_detection_confidence: float = 0.5, threads: int = 1) -> None:
        self.min_detection_confidence = check_float("min_detection_confidence", min_detection_confidence, 0.0, 1.0)
        threads = check_int("threads", threads, 1, 64)
        self._detector = PoseDetector(min_score=self.min_detection_confidence, threads=threads, warp=True)
        self._landmarks = LandmarkModel(threads=threads)

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        h, w = rgb.shape[:2]
        detections = self._detector.detect(rgb)
        person = self._landmarks.run(rgb, roi_from_detection(detections[0])) if detections else None
        if person is None or person.presence < MIN_PRESENCE:
            result = Segmentation(prob=np.zeros((h, w), np.float32))
            result.warn("no person detected")
            return result
        mask = person.prob > 0.5
        found = Person(
            mask=mask, box=box_of_mask(mask), score=float(person.keypoints[:, 2].mean()), keypoints=person.keypoints
        )
        return Segmentation(prob=np.clip(person.prob, 0.0, 1.0), people=[found])
