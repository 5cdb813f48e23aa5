"""MediaPipe's selfie segmentation model (``selfie_segmentation.tflite``), run directly.

The general model takes a 256x256 RGB image in [0, 1], stretched to it (no letterbox, as
MediaPipe's graph does), and gives a 256x256 person probability. It is strong on people near the
camera (portraits, video calls) and weak on far, small and full-body people.

Example:
    >>> selfie = SelfieModel()  # doctest: +SKIP
    >>> selfie(rgb).shape  # doctest: +SKIP
    (256, 256)
"""

from __future__ import annotations

import cv2
import numpy as np

from bodyseg.models.runtime import TFLiteModel, shipped_model_path

#: The selfie models shipped, by the name a user picks them with.
SELFIE_MODELS = {"general": "selfie_segmentation", "landscape": "selfie_segmentation_landscape"}


#: How the image is shrunk to the model's input: ``"area"`` (area averaging; what our refinement net
#: was trained beside) or ``"mediapipe"`` (MediaPipe's graph: a bilinear warp whose pixel grid is
#: anchored at the corners, which matches the wheel's masks to 0.002 mean absolute difference).
RESIZES = ("area", "mediapipe")


def shrink(rgb: np.ndarray, size: tuple[int, int], resize: str = "area") -> np.ndarray:
    """``rgb`` stretched to ``(height, width)`` as float32 in [0, 1], the model's input.

    Example:
        >>> shrink(np.full((4, 8, 3), 255, np.uint8), (2, 2), "mediapipe").tolist()[0][0]
        [1.0, 1.0, 1.0]
    """
    height, width = size
    if resize == "mediapipe":
        h, w = rgb.shape[:2]
        matrix = np.array([[width / w, 0.0, 0.0], [0.0, height / h, 0.0]])
        small = cv2.warpAffine(rgb, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    else:
        small = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0


class SelfieModel:
    """The selfie segmentation model: ``model(rgb)`` is the person probability at the model's resolution.

    Args:
        threads: threads of the model runtime.
        variant: ``"general"`` (256x256) or ``"landscape"`` (144x256, faster).
        resize: how the image is shrunk to the input (:data:`RESIZES`).
        flip: also run the model on the mirrored image and average the two (twice the cost).
    """

    def __init__(self, threads: int = 1, variant: str = "general", resize: str = "area", flip: bool = False) -> None:
        self._model = TFLiteModel(shipped_model_path(SELFIE_MODELS[variant]), num_threads=threads)
        self.resize = resize
        self.flip = flip

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)`` of the model's input and output."""
        _, height, width, _ = self._model.input_shape
        return height, width

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """The person probability of ``rgb`` at the model's resolution (the image stretched to it); with
        ``flip``, the mean of that and the mirrored image's probability mirrored back."""
        prob = self._probability(rgb)
        if self.flip:
            prob = (prob + self._probability(np.ascontiguousarray(rgb[:, ::-1]))[:, ::-1]) / 2
        return prob

    def once(self, rgb: np.ndarray) -> np.ndarray:
        """One run on ``rgb`` as it is, without the mirrored run whatever ``flip`` says (half the cost)."""
        return self._probability(rgb)

    def _probability(self, rgb: np.ndarray) -> np.ndarray:
        return np.clip(self._model(shrink(rgb, self.size, self.resize)[None])[0][0, :, :, 0], 0.0, 1.0)
