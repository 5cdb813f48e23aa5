"""Effects: plain functions of (image, Segmentation) that return a new RGB (or RGBA) uint8 image.

Example:
    >>> import bodyseg
    >>> seg = bodyseg.segment("photo.jpg")  # doctest: +SKIP
    >>> bodyseg.effects.blur(bodyseg.load_image("photo.jpg"), seg, strength=20)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Sequence, Union

import cv2
import numpy as np
from PIL import ImageColor

from bodyseg.errors import InputError
from bodyseg.result import Segmentation

Colour = Union[str, Sequence[int]]
Background = Union[np.ndarray, str, Sequence[int]]

#: Colours given to people / clusters in overlays, cycled.
PALETTE = np.array(
    [(46, 204, 113), (231, 76, 60), (52, 152, 219), (241, 196, 15), (155, 89, 182), (26, 188, 156),
     (230, 126, 34), (236, 240, 241), (149, 165, 166), (243, 104, 224), (0, 148, 50), (87, 75, 144)],
    dtype=np.uint8,
)


def parse_colour(colour: Colour) -> tuple[int, int, int]:
    """RGB triple from a name (``"green"``), hex (``"#00ff00"``), ``"0,255,0"`` or a sequence.

    Example:
        >>> parse_colour("#ff8000"), parse_colour("0, 10, 20"), parse_colour((1, 2, 3))
        ((255, 128, 0), (0, 10, 20), (1, 2, 3))
    """
    if isinstance(colour, str):
        text = colour.strip()
        if "," in text:
            parts = text.split(",")
            if len(parts) == 3 and all(p.strip().isdigit() and 0 <= int(p) <= 255 for p in parts):
                return tuple(int(p) for p in parts)  # type: ignore[return-value]
        else:
            try:
                return ImageColor.getrgb(text)[:3]  # type: ignore[return-value]
            except ValueError:
                pass
        raise InputError(f"{colour!r} is not a colour; use a name (green), hex (#00ff00) or R,G,B (0,255,0)")
    values = tuple(int(c) for c in colour)
    if len(values) != 3 or not all(0 <= c <= 255 for c in values):
        raise InputError(f"{colour!r} is not an RGB colour of three values in 0..255")
    return values  # type: ignore[return-value]


def soft_alpha(seg: Segmentation, feather: float | None = None) -> np.ndarray:
    """HxW float32 alpha in [0, 1]: the probability with a feathered edge.

    ``feather`` is the Gaussian sigma in pixels of the edge softening; by default 0.3% of the image
    diagonal (about 3 px on a 1280x720 photo); 0 keeps the probability as it is.
    """
    alpha = seg.prob
    if feather is None:
        feather = 0.003 * float(np.hypot(*alpha.shape))
    if feather > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigmaX=feather, borderType=cv2.BORDER_REFLECT)
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def blend(foreground: np.ndarray, background: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``alpha * foreground + (1 - alpha) * background`` as uint8 (alpha is HxW in [0, 1])."""
    a = alpha[..., None]
    out = foreground.astype(np.float32) * a + background.astype(np.float32) * (1.0 - a)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def blur(image: np.ndarray, seg: Segmentation, strength: float | None = None, feather: float | None = None) -> np.ndarray:
    """Portrait mode: blur the background, keep the person sharp, with a soft edge.

    The background is blurred with the person cut out (normalised convolution), so the person's
    colours do not bleed into a halo around them.

    Args:
        strength: Gaussian sigma of the background blur in pixels; by default 1.5% of the diagonal.
        feather: edge softness, see :func:`soft_alpha`.
    """
    _check_pair(image, seg)
    if strength is None:
        strength = 0.015 * float(np.hypot(*image.shape[:2]))
    if strength < 0:
        raise InputError(f"blur strength must be >= 0, got {strength}")
    alpha = soft_alpha(seg, feather)
    if strength == 0:
        return image.copy()
    background = blurred_background(image, alpha, strength)
    return blend(image, background, alpha)


def blurred_background(image: np.ndarray, alpha: np.ndarray, strength: float) -> np.ndarray:
    """The photo blurred with the person cut out (normalised convolution), HxWx3 float32.

    A Gaussian of sigma ``strength`` keeps nothing finer than about ``strength / 2`` pixels, so it
    is computed on a copy shrunk by up to that factor (at most 8x) and scaled back: 10-50x less
    work on a large photo, the same picture to a fraction of a grey level.
    """
    h, w = alpha.shape
    factor = int(max(1, min(8, strength // 2)))
    weight = 1.0 - alpha
    weighted = image.astype(np.float32) * weight[..., None]  # the person's pixels weigh nothing
    plain = image.astype(np.float32)
    if factor > 1:
        small_size = (max(1, w // factor), max(1, h // factor))
        weighted, weight, plain = (cv2.resize(a, small_size, interpolation=cv2.INTER_AREA) for a in (weighted, weight, plain))
    sigma = strength / factor
    blurred = cv2.GaussianBlur(weighted, (0, 0), sigmaX=sigma)
    blurred_w = cv2.GaussianBlur(weight, (0, 0), sigmaX=sigma)[..., None]
    plain = cv2.GaussianBlur(plain, (0, 0), sigmaX=sigma)
    background = np.where(blurred_w > 1e-3, blurred / np.maximum(blurred_w, 1e-3), plain)
    if factor > 1:
        background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    return background


def fit_background(background: Background, shape: tuple[int, int]) -> np.ndarray:
    """HxWx3 uint8 background: a colour filled, or an image scaled to cover and centre-cropped."""
    h, w = shape
    if not isinstance(background, np.ndarray):
        return np.broadcast_to(np.array(parse_colour(background), np.uint8), (h, w, 3)).copy()
    bg = background if background.ndim == 3 else np.repeat(background[..., None], 3, axis=2)
    bg = bg[..., :3]
    scale = max(h / bg.shape[0], w / bg.shape[1])
    new_h, new_w = max(h, round(bg.shape[0] * scale)), max(w, round(bg.shape[1] * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    bg = cv2.resize(bg, (new_w, new_h), interpolation=interp)
    top, left = (new_h - h) // 2, (new_w - w) // 2
    return np.ascontiguousarray(bg[top : top + h, left : left + w])


def replace(image: np.ndarray, seg: Segmentation, background: Background, feather: float | None = None) -> np.ndarray:
    """Put the person on a new background (an RGB image, resized to cover, or a colour)."""
    _check_pair(image, seg)
    return blend(image, fit_background(background, image.shape[:2]), soft_alpha(seg, feather))


def cutout(image: np.ndarray, seg: Segmentation, feather: float | None = None) -> np.ndarray:
    """RGBA image: the person opaque, the background transparent, a soft alpha edge."""
    _check_pair(image, seg)
    alpha = (soft_alpha(seg, feather) * 255.0 + 0.5).astype(np.uint8)
    return np.dstack([image, alpha])


def overlay(
    image: np.ndarray,
    seg: Segmentation,
    colour: Colour | None = None,
    opacity: float = 0.5,
    *,
    threshold: float = 0.5,
    clusters: bool = False,
) -> np.ndarray:
    """Colour the mask over the photo for review, with its outline drawn.

    Each person gets its own colour when the result separates people; ``clusters=True`` colours
    the cluster map of a clustering method instead (k-means, mean-shift).
    """
    _check_pair(image, seg)
    labels = label_map(seg, threshold, clusters=clusters)
    palette = PALETTE if colour is None else np.array([parse_colour(colour)], np.uint8)
    colours = palette[(np.maximum(labels, 1) - 1) % len(palette)]
    alpha = np.where(labels > 0, float(opacity), 0.0).astype(np.float32)
    out = blend(colours, image, alpha)
    edges = cv2.morphologyEx(labels.astype(np.uint16).astype(np.float32), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    out[edges] = colours[edges] if clusters else (255, 255, 255)
    return out


def colour_splash(image: np.ndarray, seg: Segmentation, feather: float | None = None) -> np.ndarray:
    """The person in colour on a grey-scale copy of the photo."""
    _check_pair(image, seg)
    grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    return blend(image, grey, soft_alpha(seg, feather))


def label_map(seg: Segmentation, threshold: float = 0.5, *, clusters: bool = False) -> np.ndarray:
    """HxW int labels: 0 background, then 1..N per person (or per cluster with ``clusters=True``)."""
    if clusters:
        if seg.clusters is None:
            raise InputError(f"method {seg.meta.get('method', '?')!r} keeps no cluster map; use kmeans or meanshift")
        return seg.clusters.astype(np.int32) + 1
    if len(seg.people) > 1:
        labels = np.zeros(seg.shape, np.int32)
        for i, person in enumerate(seg.people, start=1):
            labels[person.mask & (labels == 0)] = i
        return labels
    return seg.mask(threshold).astype(np.int32)


def _check_pair(image: np.ndarray, seg: Segmentation) -> None:
    if image.shape[:2] != seg.shape:
        raise InputError(f"image is {image.shape[1]}x{image.shape[0]} but the segmentation is {seg.shape[1]}x{seg.shape[0]}")
