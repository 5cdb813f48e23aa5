"""Fitting images into the sizes models and filters work at, and mapping results back; boxes, masks
and rotated squares compared and cut out."""

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
    left: int | float
    top: int | float

    @classmethod
    def fit(cls, shape: tuple[int, ...], size: int) -> Letterbox:
        """The letterbox of an image of ``shape`` (H, W, ...) into a ``size`` square."""
        height, width = int(shape[0]), int(shape[1])
        scale = size / max(height, width)
        inner_w, inner_h = cls._inner(width, scale), cls._inner(height, scale)
        return cls(height, width, size, scale, (size - inner_w) // 2, (size - inner_h) // 2)

    @classmethod
    def fit_exact(cls, shape: tuple[int, ...], size: int) -> Letterbox:
        """The letterbox as MediaPipe's graphs make it: the padding split exactly in two, so the
        offsets may be fractional; only for :meth:`apply` with ``warp=True``.

        Rounding the offsets to whole pixels moves the pose detector's keypoints by a few pixels
        at the image's scale, enough to turn the landmark model's crop (davis: masks agreeing with
        the wheel's at IoU 0.94 instead of 0.99).

        Example:
            >>> box = Letterbox.fit_exact((100, 201), 224)
            >>> round(box.top, 3), box.left
            (56.279, 0.0)
        """
        height, width = int(shape[0]), int(shape[1])
        scale = size / max(height, width)
        return cls(height, width, size, scale, (size - width * scale) / 2, (size - height * scale) / 2)

    @staticmethod
    def _inner(length: int, scale: float) -> int:
        return max(1, round(length * scale))

    @property
    def inner(self) -> tuple[int, int]:
        """``(width, height)`` of the scaled image inside the square."""
        return self._inner(self.width, self.scale), self._inner(self.height, self.scale)

    def apply(self, image: np.ndarray, *, nearest: bool = False, warp: bool = False) -> np.ndarray:
        """The ``size`` square holding ``image``: area/linear resampling, nearest for labels, or with
        ``warp`` one bilinear warp anchored at the pixel corners, as MediaPipe's graphs do it."""
        if warp:
            matrix = np.array([[self.scale, 0.0, self.left], [0.0, self.scale, self.top]])
            return cv2.warpAffine(
                image, matrix, (self.size, self.size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
            )
        self._check_whole_offsets()
        interpolation = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA if self.scale < 1 else cv2.INTER_LINEAR
        inner_w, inner_h = self.inner
        resized = cv2.resize(image, (inner_w, inner_h), interpolation=interpolation)
        square = np.zeros((self.size, self.size) + image.shape[2:], image.dtype)
        square[self.top : self.top + inner_h, self.left : self.left + inner_w] = resized
        return square

    def invert(self, square: np.ndarray) -> np.ndarray:
        """A map over the square (e.g. a probability) cut out and resized back to the image's shape."""
        self._check_whole_offsets()
        inner_w, inner_h = self.inner
        inside = square[self.top : self.top + inner_h, self.left : self.left + inner_w]
        return cv2.resize(inside, (self.width, self.height), interpolation=cv2.INTER_LINEAR)

    def _check_whole_offsets(self) -> None:
        if not (float(self.left).is_integer() and float(self.top).is_integer()):
            raise ValueError("a letterbox with fractional offsets (fit_exact) can only be applied with warp=True")

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


def box_iou(
    a: np.ndarray | tuple[float, float, float, float], b: np.ndarray | tuple[float, float, float, float]
) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes; 0 when either is empty.

    Example:
        >>> box_iou((0, 0, 2, 2), (1, 0, 3, 2))
        0.3333333333333333
    """
    w = max(0.0, float(min(a[2], b[2]) - max(a[0], b[0])))
    h = max(0.0, float(min(a[3], b[3]) - max(a[1], b[1])))
    inter = w * h
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
    return inter / union if union > 0 else 0.0


def box_window(
    box: tuple[float, float, float, float] | np.ndarray, shape: tuple[int, ...], margin: float = 0.0
) -> tuple[slice, slice]:
    """The ``(rows, cols)`` slices of an image of ``shape`` that ``box`` ``(x0, y0, x1, y1)`` covers once
    grown by ``margin`` of its width and height on each side, out to whole pixels, cut at the image.

    Example:
        >>> box_window((5, 2, 15, 8), (10, 20), margin=0.1)  # grown by 1 px in x, 0.6 in y
        (slice(1, 9, None), slice(4, 16, None))
        >>> box_window((-3.5, 0, 4.2, 30), (10, 20))
        (slice(0, 10, None), slice(0, 5, None))
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    h, w = shape[:2]
    rows = slice(max(0, int(np.floor(y0 - dy))), min(h, int(np.ceil(y1 + dy))))
    cols = slice(max(0, int(np.floor(x0 - dx))), min(w, int(np.ceil(x1 + dx))))
    return rows, cols


def box_area(box: tuple[float, float, float, float] | np.ndarray) -> float:
    """Area of an ``(x0, y0, x1, y1)`` box (0 when empty).

    Example:
        >>> box_area((10.0, 0.0, 50.0, 100.0)), box_area((5.0, 5.0, 5.0, 9.0))
        (4000.0, 0.0)
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    return max(0.0, x1 - x0) * max(0.0, y1 - y0)


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two bool masks; 0 when both are empty (for matching, where two
    empty masks are not the same thing: :func:`bodyseg.metrics.iou` scores that case 1).

    Example:
        >>> mask_iou(np.array([1, 1, 0], bool), np.array([0, 1, 1], bool))
        0.3333333333333333
        >>> mask_iou(np.zeros(2, bool), np.zeros(2, bool))
        0.0
    """
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


@dataclass(frozen=True)
class RotatedSquare:
    """A square region: centre, side in pixels, and rotation in radians (counter-clockwise).

    Example:
        >>> square = RotatedSquare(cx=50.0, cy=50.0, side=100.0, angle=0.0)
        >>> square.crop_matrix(10)[:, 2].tolist()
        [0.0, 0.0]
    """

    cx: float
    cy: float
    side: float
    angle: float

    def crop_matrix(self, size: int) -> np.ndarray:
        """2x3 affine that maps image pixels into a ``size`` x ``size`` crop of this square."""
        scale = size / self.side
        c, s = np.cos(self.angle), np.sin(self.angle)
        # turn the image by -angle about the centre so the square's "up" becomes the crop's up
        # (image y points down), scale, move to the crop centre
        rot = np.array([[c, s], [-s, c]]) * scale
        shift = np.array([size / 2, size / 2]) - rot @ np.array([self.cx, self.cy])
        return np.hstack([rot, shift[:, None]]).astype(np.float64)


def crop_square(image: np.ndarray, square: RotatedSquare, size: int) -> np.ndarray:
    """The ``size`` x ``size`` crop of ``square`` (edges replicated beyond the image).

    Example:
        >>> crop_square(np.arange(16, dtype=np.uint8).reshape(4, 4), RotatedSquare(2.0, 2.0, 2.0, 0.0), 2).tolist()
        [[5, 6], [9, 10]]
    """
    return cv2.warpAffine(
        image, square.crop_matrix(size), (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def paste_square(values: np.ndarray, square: RotatedSquare, shape: tuple[int, int]) -> np.ndarray:
    """Map a crop-sized float map of ``square`` back onto an image of ``shape`` (zero outside it).

    Example:
        >>> out = paste_square(np.ones((2, 2), np.float32), RotatedSquare(2.0, 2.0, 2.0, 0.0), (4, 4))
        >>> out.astype(int).tolist()
        [[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    """
    size = values.shape[0]
    inverse = cv2.invertAffineTransform(square.crop_matrix(size))
    return cv2.warpAffine(
        values.astype(np.float32),
        inverse,
        (shape[1], shape[0]),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )


def crop_points_to_image(points: np.ndarray, square: RotatedSquare, size: int) -> np.ndarray:
    """Nx2 pixel coordinates of a ``size`` crop of ``square`` mapped back to image pixels.

    Example:
        >>> crop_points_to_image(np.array([[0.0, 0.0]]), RotatedSquare(2.0, 2.0, 2.0, 0.0), 2).tolist()
        [[1.0, 1.0]]
    """
    inverse = cv2.invertAffineTransform(square.crop_matrix(size))
    return points @ inverse[:, :2].T + inverse[:, 2]


def points_to_crop(points: np.ndarray, square: RotatedSquare, size: int) -> np.ndarray:
    """Nx2 image pixel coordinates mapped into a ``size`` crop of ``square`` (the inverse of
    :func:`crop_points_to_image`).

    Example:
        >>> points_to_crop(np.array([[1.0, 1.0]]), RotatedSquare(2.0, 2.0, 2.0, 0.0), 2).tolist()
        [[0.0, 0.0]]
    """
    matrix = square.crop_matrix(size)
    return np.asarray(points, np.float64) @ matrix[:, :2].T + matrix[:, 2]
