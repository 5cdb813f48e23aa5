"""Fitting images into the fixed squares models take, and mapping results back."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Letterbox:
    """An image of ``height`` x ``width`` scaled by ``scale`` into a ``size`` square, centred.

    The padding is black (zero); ``left``/``top`` are the padding before the image.

    Example:
        >>> box = Letterbox.fit((100, 200), 224)
        >>> box.scale, box.left, box.top
        (1.12, 0, 56)
        >>> box.apply(np.full((100, 200), 9, np.uint8)).shape
        (224, 224)
    """

    height: int
    width: int
    size: int
    scale: float
    left: int
    top: int

    @classmethod
    def fit(cls, shape: tuple[int, ...], size: int) -> Letterbox:
        """The letterbox of an image of ``shape`` (H, W, ...) into a ``size`` square."""
        height, width = int(shape[0]), int(shape[1])
        scale = size / max(height, width)
        inner_w, inner_h = cls._inner(width, scale), cls._inner(height, scale)
        return cls(height, width, size, scale, (size - inner_w) // 2, (size - inner_h) // 2)

    @staticmethod
    def _inner(length: int, scale: float) -> int:
        return max(1, round(length * scale))

    @property
    def inner(self) -> tuple[int, int]:
        """``(width, height)`` of the scaled image inside the square."""
        return self._inner(self.width, self.scale), self._inner(self.height, self.scale)

    def apply(self, image: np.ndarray, *, nearest: bool = False) -> np.ndarray:
        """The ``size`` square holding ``image`` (area/linear resampling, or nearest for labels)."""
        interpolation = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA if self.scale < 1 else cv2.INTER_LINEAR
        inner_w, inner_h = self.inner
        resized = cv2.resize(image, (inner_w, inner_h), interpolation=interpolation)
        square = np.zeros((self.size, self.size) + image.shape[2:], image.dtype)
        square[self.top : self.top + inner_h, self.left : self.left + inner_w] = resized
        return square

    def invert(self, square: np.ndarray) -> np.ndarray:
        """A map over the square (e.g. a probability) cut out and resized back to the image's shape."""
        inner_w, inner_h = self.inner
        inside = square[self.top : self.top + inner_h, self.left : self.left + inner_w]
        return cv2.resize(inside, (self.width, self.height), interpolation=cv2.INTER_LINEAR)

    def points_to_image(self, points: np.ndarray) -> np.ndarray:
        """Nx2 ``(x, y)`` square pixels to image pixels."""
        return (np.asarray(points, np.float64) - (self.left, self.top)) / self.scale
