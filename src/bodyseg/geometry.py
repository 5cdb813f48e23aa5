"""Fitting images into the sizes models and filters work at, and mapping results back."""

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


def downscale(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """``(small, scale)``: ``image`` (HxW or HxWxC) shrunk (area interpolation) so its longer side
    is at most ``max_side``; ``image`` itself when it is small enough.

    Example:
        >>> small, scale = downscale(np.zeros((100, 50, 3), np.uint8), 40)
        >>> small.shape, scale
        ((40, 20, 3), 0.4)
    """
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return image, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def upscale_prob(prob: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """HxW float32 probability at ``shape`` (bilinear, so mask edges are smooth), clipped to [0, 1].

    Example:
        >>> upscale_prob(np.eye(2, dtype=np.float32), (4, 4)).shape
        (4, 4)
    """
    h, w = shape
    if prob.shape != (h, w):
        prob = cv2.resize(prob.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(prob, 0.0, 1.0).astype(np.float32)
