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


class SelfieModel:
    """The selfie segmentation model: ``model(rgb)`` is the person probability at the model's resolution.

    Args:
        threads: threads of the model runtime.
        variant: ``"general"`` (256x256) or ``"landscape"`` (144x256, faster).
    """

    def __init__(self, threads: int = 1, variant: str = "general") -> None:
        self._model = TFLiteModel(shipped_model_path(SELFIE_MODELS[variant]), num_threads=threads)

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)`` of the model's input and output."""
        _, height, width, _ = self._model.input_shape
        return height, width

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """The person probability of ``rgb`` at the model's resolution (the image stretched to it)."""
        height, width = self.size
        small = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        return np.clip(self._model(small[None])[0][0, :, :, 0], 0.0, 1.0)
