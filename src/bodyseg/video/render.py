"""What a video frame is drawn as: the image effects of :mod:`bodyseg.effects`, plus two for video editors.

* ``matte``: the cut-out's alpha (the probability with a feathered edge) as a grey frame, white on
  the person: the "luma matte" an editor uses to composite the original footage with anything.
* ``parts``: the body-part labels of :attr:`Segmentation.parts <bodyseg.result.Parts>` coloured over
  the frame, whatever scheme the method fills; a method that fills none is a clear error.

Example:
    >>> import numpy as np
    >>> from bodyseg.result import Segmentation
    >>> seg = Segmentation(prob=np.array([[0.0, 1.0]], np.float32))
    >>> render_frame("matte", np.zeros((1, 2, 3), np.uint8), seg, {"feather": 0}).tolist()
    [[0, 255]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bodyseg import effects
from bodyseg.errors import InputError
from bodyseg.result import Segmentation

#: The effects a video can be drawn with: image effects, then the video-only ``matte`` and ``parts``.
VIDEO_EFFECTS = ("blur", "replace", "cutout", "mask", "overlay", "matte", "parts")

#: Effects whose frames carry an alpha channel (written as VP9 or ProRes 4444 with alpha, or RGBA PNG).
ALPHA_EFFECTS = ("cutout",)

#: Options of the video-only effects (the image effects' come from their signatures).
_OWN_OPTIONS = {"matte": ("feather",), "parts": ("opacity",)}


def effect_option_names(effect: str) -> tuple[str, ...]:
    """Names of the keyword options ``effect`` takes.

    Example:
        >>> effect_option_names("matte"), effect_option_names("blur")
        (('feather',), ('strength', 'feather'))
    """
    if effect in _OWN_OPTIONS:
        return _OWN_OPTIONS[effect]
    return effects.EFFECTS[effect].options()


def matte(image: np.ndarray, seg: Segmentation, feather: float | None = None) -> np.ndarray:
    """HxW uint8 grey matte: exactly the alpha channel :func:`bodyseg.effects.cutout` writes.

    Example:
        >>> seg = Segmentation(prob=np.array([[0.0, 0.5, 1.0]], np.float32))
        >>> matte(np.zeros((1, 3, 3), np.uint8), seg, feather=0).tolist()
        [[0, 128, 255]]
    """
    return effects.cutout(image, seg, feather)[..., 3]


def part_palette(count: int) -> np.ndarray:
    """``count`` x 3 uint8 colours, well apart, the same for a label id in every frame; id 0 is black.

    Example:
        >>> part_palette(3).shape, part_palette(3)[0].tolist(), bool((part_palette(3)[1] != part_palette(3)[2]).any())
        ((3, 3), [0, 0, 0], True)
    """
    ids = np.arange(count, dtype=np.float64)
    hue = (ids * 0.618033988749895) % 1.0  # golden-ratio steps: neighbouring ids far apart on the wheel
    value = np.where(ids % 2 == 0, 0.95, 0.75)
    sector = (hue * 6).astype(int)
    f = hue * 6 - sector
    p, q, t = value * 0.25, value * (1 - 0.75 * f), value * (0.25 + 0.75 * f)
    table = [(value, t, p), (q, value, p), (p, value, t), (p, q, value), (t, p, value), (value, p, q)]
    rgb = np.stack([np.choose(sector % 6, [row[c] for row in table]) for c in range(3)], axis=1)
    colours = (rgb * 255 + 0.5).astype(np.uint8)
    colours[:1] = 0
    return colours


def parts_overlay(image: np.ndarray, seg: Segmentation, opacity: float | None = None) -> np.ndarray:
    """The body-part labels coloured over the frame (label 0, background, left as it is).

    Raises:
        InputError: the method fills no :attr:`Segmentation.parts`.

    Example:
        >>> from bodyseg.result import Parts
        >>> seg = Segmentation(prob=np.ones((1, 2), np.float32), parts=Parts(np.array([[0, 1]]), ("bg", "head")))
        >>> out = parts_overlay(np.zeros((1, 2, 3), np.uint8), seg, opacity=1.0)
        >>> out[0, 0].tolist(), out[0, 1].tolist() == part_palette(2)[1].tolist()
        ([0, 0, 0], True)
    """
    if seg.parts is None:
        raise InputError(
            f"method {seg.meta.get('method', '?')!r} gives no body parts; --effect parts needs a method that fills "
            "them (the default method with --option parts=lip or parts=body, where installed)"
        )
    labels = np.asarray(seg.parts.labels)
    if labels.shape != image.shape[:2]:
        raise InputError(
            f"the part labels are {labels.shape[1]}x{labels.shape[0]}, the frame {image.shape[1]}x{image.shape[0]}"
        )
    colours = part_palette(max(len(seg.parts.names), int(labels.max(initial=0)) + 1))[labels]
    alpha = np.where(labels > 0, 0.5 if opacity is None else float(opacity), 0.0).astype(np.float32)
    return effects.blend(colours, image, alpha)


def render_frame(effect: str, image: np.ndarray, seg: Segmentation, options: dict[str, Any]) -> np.ndarray:
    """Draw ``effect`` (one of :data:`VIDEO_EFFECTS`) on a frame; options that are None take their default."""
    if effect == "matte":
        return matte(image, seg, options.get("feather"))
    if effect == "parts":
        return parts_overlay(image, seg, options.get("opacity"))
    return np.asarray(effects.render(effect, image, seg, **options))
