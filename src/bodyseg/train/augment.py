"""Augmentation in numpy/OpenCV: random scale and crop, flip, colour jitter; letterbox for validation.

Every function takes an RGB uint8 image and its HxW integer target (0/1 mask or part ids) and a
``numpy.random.Generator``, and returns new arrays: the target moves with the image (nearest
neighbour, so labels are never blended) and is padded with 0 (background).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from bodyseg import geometry

cv2.setNumThreads(1)


def resize_pair(rgb: np.ndarray, target: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale image (area when shrinking, linear when growing) and target (nearest) by ``scale``.

    Example:
        >>> rgb, t = resize_pair(np.zeros((10, 20, 3), np.uint8), np.zeros((10, 20), np.uint8), 0.5)
        >>> rgb.shape, t.shape
        ((5, 10, 3), (5, 10))
    """
    height, width = target.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(rgb, size, interpolation=interpolation), cv2.resize(target, size, interpolation=cv2.INTER_NEAREST)


def pad_pair(
    rgb: np.ndarray, target: np.ndarray, height: int, width: int, *, top: int = 0, left: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Pad to at least ``height`` x ``width``: image with black, target with 0; ``top``/``left`` of the pad before."""
    pad_h, pad_w = max(0, height - target.shape[0]), max(0, width - target.shape[1])
    if pad_h == 0 and pad_w == 0:
        return rgb, target
    top, left = min(top, pad_h), min(left, pad_w)
    borders = (top, pad_h - top, left, pad_w - left)
    return (
        cv2.copyMakeBorder(rgb, *borders, cv2.BORDER_CONSTANT, value=(0, 0, 0)),
        cv2.copyMakeBorder(target, *borders, cv2.BORDER_CONSTANT, value=0),
    )


def letterbox(rgb: np.ndarray, target: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Fit the whole image in ``size`` x ``size`` (longer side = size), centred, padded: the validation view.

    Example:
        >>> rgb, t = letterbox(np.zeros((40, 20, 3), np.uint8), np.ones((40, 20), np.uint8), 16)
        >>> rgb.shape, int(t.sum())
        ((16, 16, 3), 128)
    """
    box = geometry.Letterbox.fit(target.shape, size)
    return box.apply(rgb), box.apply(target, nearest=True)


def random_scale_crop(
    rgb: np.ndarray, target: np.ndarray, size: int, rng: np.random.Generator, scale: tuple[float, float] = (0.8, 1.8)
) -> tuple[np.ndarray, np.ndarray]:
    """Scale so the longer side is ``size * s`` (s log-uniform in ``scale``), pad, then crop ``size`` x ``size``
    at random.

    Below 1 the whole picture is seen smaller, on a black border; above 1 a random window of it.
    """
    s = float(np.exp(rng.uniform(np.log(scale[0]), np.log(scale[1]))))
    rgb, target = resize_pair(rgb, target, size * s / max(target.shape))
    pad_h, pad_w = max(0, size - target.shape[0]), max(0, size - target.shape[1])
    rgb, target = pad_pair(
        rgb, target, size, size, top=int(rng.integers(0, pad_h + 1)), left=int(rng.integers(0, pad_w + 1))
    )
    y = int(rng.integers(0, target.shape[0] - size + 1))
    x = int(rng.integers(0, target.shape[1] - size + 1))
    return rgb[y : y + size, x : x + size], target[y : y + size, x : x + size]


def flip_pair(
    rgb: np.ndarray, target: np.ndarray, swap: Sequence[tuple[int, int]] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Mirror left-right; ``swap`` lists label pairs to exchange (left arm <-> right arm in part maps).

    Example:
        >>> _, t = flip_pair(np.zeros((1, 2, 3), np.uint8), np.array([[3, 0]], np.uint8), swap=[(3, 4)])
        >>> t.tolist()
        [[0, 4]]
    """
    rgb, target = rgb[:, ::-1].copy(), target[:, ::-1].copy()
    if swap:
        lookup = np.arange(max(256, int(target.max()) + 1), dtype=target.dtype)
        for a, b in swap:
            lookup[a], lookup[b] = b, a
        target = lookup[target]
    return rgb, target


def colour_jitter(rgb: np.ndarray, rng: np.random.Generator, strength: float = 0.25) -> np.ndarray:
    """Random brightness, contrast and saturation (each by up to ``strength``) and a small hue shift.

    Example:
        >>> colour_jitter(np.full((2, 2, 3), 128, np.uint8), np.random.default_rng(0)).dtype
        dtype('uint8')
    """
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-8, 8) * strength / 0.25) % 180
    hsv[..., 1] *= rng.uniform(1 - strength, 1 + strength)
    hsv[..., 2] *= rng.uniform(1 - strength, 1 + strength)
    out = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    mean = out.mean()
    out = (out - mean) * rng.uniform(1 - strength, 1 + strength) + mean
    return np.clip(out, 0, 255).astype(np.uint8)


@dataclass
class Augment:
    """The training augmentation: random scale and crop to ``size``, flip, colour jitter.

    Attributes:
        size: side of the square crops.
        scale: range of the longer side, in units of ``size``, before cropping.
        flip: probability of a left-right mirror.
        jitter: colour jitter strength (0 turns it off).
        swap: label pairs to exchange on a flip (left/right parts).

    Example:
        >>> aug = Augment(64)
        >>> rgb, t = aug(np.zeros((120, 90, 3), np.uint8), np.zeros((120, 90), np.uint8), np.random.default_rng(0))
        >>> rgb.shape, t.shape
        ((64, 64, 3), (64, 64))
    """

    size: int
    scale: tuple[float, float] = (0.8, 1.8)
    flip: float = 0.5
    jitter: float = 0.25
    swap: Sequence[tuple[int, int]] = ()

    def __call__(self, rgb: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        rgb, target = random_scale_crop(rgb, target, self.size, rng, self.scale)
        if rng.random() < self.flip:
            rgb, target = flip_pair(rgb, target, self.swap)
        if self.jitter > 0:
            rgb = colour_jitter(rgb, rng, self.jitter)
        return np.ascontiguousarray(rgb), np.ascontiguousarray(target)


@dataclass
class WholeView:
    """The validation (and no-augmentation) view: the whole picture fitted in ``size`` x ``size``."""

    size: int

    def __call__(
        self, rgb: np.ndarray, target: np.ndarray, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return letterbox(rgb, target, self.size)
