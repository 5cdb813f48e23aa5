"""Effects: plain functions of (image, Segmentation) that return a new RGB (or RGBA) uint8 image.

Example:
    >>> import bodyseg
    >>> seg = bodyseg.segment("photo.jpg")  # doctest: +SKIP
    >>> bodyseg.effects.blur(bodyseg.load_image("photo.jpg"), seg, strength=20)  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import ImageColor

from bodyseg.errors import InputError
from bodyseg.io.images import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, read_image
from bodyseg.result import CLUSTER_MAP, Segmentation

Colour = str | Sequence[int]
Background = np.ndarray | str | Sequence[int]

#: Colours given to people / clusters in overlays, cycled.
PALETTE = np.array(
    [
        (46, 204, 113),
        (231, 76, 60),
        (52, 152, 219),
        (241, 196, 15),
        (155, 89, 182),
        (26, 188, 156),
        (230, 126, 34),
        (236, 240, 241),
        (149, 165, 166),
        (243, 104, 224),
        (0, 148, 50),
        (87, 75, 144),
    ],
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
        alpha = cv2.GaussianBlur(
            alpha.astype(np.float32, copy=False), (0, 0), sigmaX=feather, borderType=cv2.BORDER_REFLECT
        )
        return np.clip(alpha, 0.0, 1.0, out=alpha)
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def blend(foreground: np.ndarray, background: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``alpha * foreground + (1 - alpha) * background`` as uint8 (alpha is HxW in [0, 1]).

    Example:
        >>> fg, bg = np.full((1, 2, 3), 200, np.uint8), np.zeros((1, 2, 3), np.uint8)
        >>> blend(fg, bg, np.array([[1.0, 0.25]], np.float32))[0, :, 0].tolist()
        [200, 50]
    """
    alpha = np.ascontiguousarray(alpha, np.float32)
    fg, bg = (np.ascontiguousarray(np.broadcast_to(a, foreground.shape), np.uint8) for a in (foreground, background))
    return cv2.blendLinear(fg, bg, alpha, 1.0 - alpha)  # one vectorised pass (OpenCV), no float copies


def blur(
    image: np.ndarray, seg: Segmentation, strength: float | None = None, feather: float | None = None
) -> np.ndarray:
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
    """The photo blurred with the person cut out (normalised convolution), HxWx3 uint8.

    A Gaussian of sigma ``strength`` keeps nothing finer than about ``strength / 2`` pixels, so it
    is computed on a copy halved (Gaussian pyramid) as often as that allows, at most 3 times, and
    scaled back: 10-50x less work on a large photo, the same picture to a fraction of a grey level.
    The person is taken out at full resolution (before shrinking, every step linear), so its
    colours never reach the background.
    """
    h, w = alpha.shape
    levels = int(np.log2(max(1, min(8, strength // 2))))
    weight = cv2.convertScaleAbs(alpha, alpha=-255.0, beta=255.0)  # (1 - alpha) as 0..255
    weighted = cv2.multiply(
        image, cv2.cvtColor(weight, cv2.COLOR_GRAY2RGB), scale=1.0 / 255.0
    )  # the person's pixels weigh nothing
    plain = image
    for _ in range(levels):
        weighted, weight, plain = cv2.pyrDown(weighted), cv2.pyrDown(weight), cv2.pyrDown(plain)
    # each pyramid step blurs with variance 1 in its input's pixels: the rest of the blur is done here
    factor = 2**levels
    sigma = float(np.sqrt(max(strength**2 - (4**levels - 1) / 3, 0.25))) / factor
    blurred = cv2.GaussianBlur(weighted.astype(np.float32), (0, 0), sigmaX=sigma)
    blurred_w = cv2.GaussianBlur(weight.astype(np.float32) / 255.0, (0, 0), sigmaX=sigma)[..., None]
    plain = cv2.GaussianBlur(plain.astype(np.float32), (0, 0), sigmaX=sigma)
    background = np.where(blurred_w > 1e-3, blurred / np.maximum(blurred_w, 1e-3), plain)
    background = np.clip(background + 0.5, 0, 255).astype(np.uint8)
    if levels:
        # pyramid pixel i sits on full-resolution pixel factor * i, while resize expects it at
        # factor * i + (factor - 1) / 2: shift the small picture by the difference, then scale up
        shift = (factor - 1) / (2 * factor)
        background = cv2.warpAffine(
            background,
            np.array([[1.0, 0.0, shift], [0.0, 1.0, shift]]),
            background.shape[1::-1],
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
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
    edges = (
        cv2.morphologyEx(labels.astype(np.uint16).astype(np.float32), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    )
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
        if CLUSTER_MAP not in seg.meta:
            raise InputError(f"method {seg.meta.get('method', '?')!r} keeps no cluster map; use kmeans or meanshift")
        return np.asarray(seg.meta[CLUSTER_MAP]).astype(np.int32) + 1
    if len(seg.people) > 1:
        labels = np.zeros(seg.shape, np.int32)
        for i, person in enumerate(seg.people, start=1):
            labels[person.mask & (labels == 0)] = i
        return labels
    return seg.mask(threshold).astype(np.int32)


def _check_pair(image: np.ndarray, seg: Segmentation) -> None:
    if image.shape[:2] != seg.shape:
        raise InputError(
            f"image is {image.shape[1]}x{image.shape[0]} but the segmentation is {seg.shape[1]}x{seg.shape[0]}"
        )


def mask(image: np.ndarray, seg: Segmentation, threshold: float = 0.5) -> np.ndarray:
    """HxW uint8 mask: 255 where ``prob > threshold``, else 0.

    Example:
        >>> seg = Segmentation(prob=np.array([[0.2, 0.9]], np.float32))
        >>> mask(np.zeros((1, 2, 3), np.uint8), seg).tolist()
        [[0, 255]]
    """
    _check_pair(image, seg)
    return seg.mask(threshold).astype(np.uint8) * 255


def soft_mask(image: np.ndarray, seg: Segmentation) -> np.ndarray:
    """HxW uint8: the person probability scaled to 0..255 (a grey matte).

    Example:
        >>> seg = Segmentation(prob=np.array([[0.0, 0.5, 1.0]], np.float32))
        >>> soft_mask(np.zeros((1, 3, 3), np.uint8), seg).tolist()
        [[0, 128, 255]]
    """
    _check_pair(image, seg)
    return (np.clip(seg.prob, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


@dataclass(frozen=True)
class Effect:
    """A named effect: ``draw(image, seg, **options)`` and what its output is.

    Attributes:
        name: the effect's name (``bodyseg blur``, ``--effect blur``, ``/v1/blur``).
        summary: one line of help.
        draw: the function of (image, Segmentation, **options).
        lossless: the output must be stored losslessly (a mask, or an image with alpha): PNG.
    """

    name: str
    summary: str
    draw: Callable[..., np.ndarray]
    lossless: bool = False

    def options(self) -> tuple[str, ...]:
        """Names of the keyword options ``draw`` takes."""
        return tuple(inspect.signature(self.draw).parameters)[2:]


#: Every effect by name, in the order the CLI lists them.
EFFECTS: dict[str, Effect] = {
    e.name: e
    for e in (
        Effect("mask", "0/255 person mask", mask, lossless=True),
        Effect("soft", "8-bit person probability (a grey matte)", soft_mask, lossless=True),
        Effect("blur", "portrait mode: background blurred, people sharp", blur),
        Effect("replace", "people on a new background (image or colour)", replace),
        Effect("cutout", "RGBA: people opaque, background transparent", cutout, lossless=True),
        Effect("overlay", "the mask coloured over the photo, for review", overlay),
        Effect("splash", "people in colour, the rest grey", colour_splash),
    )
}


def render(name: str, image: np.ndarray, seg: Segmentation, **options: Any) -> np.ndarray:
    """Draw the effect ``name`` (one of :data:`EFFECTS`) with its keyword ``options``; options
    that are None take the effect's default, options the effect does not take are an error.

    Example:
        >>> seg = Segmentation(prob=np.array([[0.2, 0.9]], np.float32))
        >>> render("mask", np.zeros((1, 2, 3), np.uint8), seg, threshold=0.1).tolist()
        [[255, 255]]
        >>> render("blur", np.zeros((1, 2, 3), np.uint8), seg, colour="red")
        Traceback (most recent call last):
        ...
        bodyseg.errors.InputError: effect 'blur' has no option colour; its options are: strength, feather
    """
    try:
        effect = EFFECTS[name]
    except KeyError:
        raise InputError(f"unknown effect {name!r}; choose one of: {', '.join(EFFECTS)}") from None
    given = {key: value for key, value in options.items() if value is not None}
    unknown = sorted(set(given) - set(effect.options()))
    if unknown:
        raise InputError(
            f"effect {name!r} has no option {', '.join(unknown)}; its options are: "
            f"{', '.join(effect.options()) or 'none'}"
        )
    return effect.draw(image, seg, **given)


def load_background(value: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray | str:
    """A ``replace`` background given as text: an image path is read; anything else must be a colour
    (checked now, before any work). A value with an image suffix, or naming a file, is a path: a
    missing one is named as missing.

    Example:
        >>> load_background("#00b140")
        '#00b140'
    """
    path = Path(value)
    if path.suffix.lower() in IMAGE_SUFFIXES or path.exists() or "/" in value or "\\" in value:
        if not path.exists():
            raise InputError(
                f"--background {value}: no such file; give an existing image or a colour (white, '#00b140')"
            )
        return read_image(value, max_pixels=max_pixels)
    parse_colour(value)
    return value
