"""Copy-paste compositing: people (image + mask) pasted onto person-free scenes and onto other photos.

Our labelled photos show one large, centred person; the nets must also see small, cut-off and
overlapping people and scenes with none. A :class:`Compositor` turns a training sample into:

* a person-free background (``backgrounds/images``) with 0..N people pasted at random scales and
  positions, partly outside the frame (0 people: a hard negative);
* the photo itself with 1..2 other people pasted over it (overlaps and occlusions);
* or the photo unchanged.

Pasted people are blended with a feathered alpha so the paste edge is not a give-away; the target
takes the pasted person's labels where its mask is, so occluded pixels of the people behind are
relabelled correctly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from bodyseg.io.images import read_image
from bodyseg.result import box_of_mask
from bodyseg.train.augment import resize_pair

#: Returns the ``index``-th person photo as ``(rgb, target)`` (target: 0 background, > 0 person).
PersonSource = Callable[[int], tuple[np.ndarray, np.ndarray]]


def cut_out(rgb: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The person's bounding box of image and target (None when the target has no person).

    Example:
        >>> t = np.zeros((5, 5), np.uint8); t[1:3, 2:4] = 1
        >>> cut_out(np.zeros((5, 5, 3), np.uint8), t)[1].shape
        (2, 2)
    """
    x0, y0, x1, y1 = box_of_mask(target > 0)
    if x1 == x0:
        return None
    return rgb[y0:y1, x0:x1], target[y0:y1, x0:x1]


def paste(
    canvas: np.ndarray,
    canvas_target: np.ndarray,
    person: np.ndarray,
    person_target: np.ndarray,
    top: int,
    left: int,
    *,
    feather: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Blend ``person`` onto ``canvas`` with its top-left corner at ``(top, left)`` (may lie outside).

    The alpha is the person's mask blurred by ``feather`` pixels (sigma); the target takes the
    person's labels where the mask is. Parts outside the canvas are cut off.

    Example:
        >>> canvas, t = np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.uint8)
        >>> _, t = paste(canvas, t, np.full((2, 2, 3), 255, np.uint8), np.ones((2, 2), np.uint8), 3, -1, feather=0)
        >>> t.tolist()
        [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]]
    """
    height, width = canvas_target.shape
    ph, pw = person_target.shape
    y0, x0, y1, x1 = max(top, 0), max(left, 0), min(top + ph, height), min(left + pw, width)
    if y1 <= y0 or x1 <= x0:
        return canvas, canvas_target
    source = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
    mask = (person_target[source] > 0).astype(np.float32)
    alpha = cv2.GaussianBlur(mask, (0, 0), feather) * mask if feather > 0 else mask  # soft inside, never outside
    canvas, canvas_target = canvas.copy(), canvas_target.copy()
    region = canvas[y0:y1, x0:x1].astype(np.float32)
    blended = alpha[..., None] * person[source].astype(np.float32) + (1 - alpha[..., None]) * region
    canvas[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    inside = mask > 0
    canvas_target[y0:y1, x0:x1][inside] = person_target[source][inside]
    return canvas, canvas_target


def paste_random(
    canvas: np.ndarray,
    canvas_target: np.ndarray,
    person: np.ndarray,
    person_target: np.ndarray,
    rng: np.random.Generator,
    height_range: tuple[float, float] = (0.15, 1.1),
    outside: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """Paste a cut-out person at a random height (fraction of the canvas height, log-uniform) and place.

    Up to ``outside`` of the person's width or height may fall outside the canvas (cut-off people).
    """
    canvas_h, canvas_w = canvas_target.shape
    wanted = canvas_h * float(np.exp(rng.uniform(np.log(height_range[0]), np.log(height_range[1]))))
    person, person_target = resize_pair(person, person_target, max(wanted, 8) / person_target.shape[0])
    ph, pw = person_target.shape
    top = int(rng.integers(-int(outside * ph), max(canvas_h - int((1 - outside) * ph), -int(outside * ph)) + 1))
    left = int(rng.integers(-int(outside * pw), max(canvas_w - int((1 - outside) * pw), -int(outside * pw)) + 1))
    return paste(canvas, canvas_target, person, person_target, top, left, feather=float(rng.uniform(0.5, 1.5)))


@functools.lru_cache(maxsize=128)
def _background(path: Path, max_side: int) -> np.ndarray:
    rgb = read_image(path)
    scale = max_side / max(rgb.shape[:2])
    return cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb


@dataclass
class Compositor:
    """Makes composites from a training sample (see the module docstring).

    Attributes:
        people: loads the ``i``-th person photo of the training set as ``(rgb, target)``.
        count: how many person photos ``people`` can load.
        backgrounds: person-free scene images (e.g. ``datasets/backgrounds/images/*.jpg``).
        p_background: probability of a scene composite.
        p_overlay: probability of pasting other people over the photo.
        max_people: most people pasted on a scene.
        height_range: pasted person height as a fraction of the canvas height.
        max_side: backgrounds are shrunk to this longer side (and cached).

    Example:
        >>> comp = Compositor(people=lambda i: (rgb, target), count=1, backgrounds=[])  # doctest: +SKIP
        >>> rgb2, target2 = comp(rgb, target, np.random.default_rng(0))  # doctest: +SKIP
    """

    people: PersonSource
    count: int
    backgrounds: Sequence[Path] = field(default_factory=list)
    p_background: float = 0.3
    p_overlay: float = 0.2
    max_people: int = 3
    height_range: tuple[float, float] = (0.15, 1.1)
    max_side: int = 640

    def __call__(self, rgb: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        draw = rng.random()
        if draw < self.p_background and self.backgrounds:
            canvas = _background(Path(self.backgrounds[int(rng.integers(len(self.backgrounds)))]), self.max_side)
            canvas_target = np.zeros(canvas.shape[:2], target.dtype)
            people = [(rgb, target)] if rng.random() < 0.5 else []
            extra = int(rng.integers(0, self.max_people + 1)) - len(people)
            return self._paste_people(canvas, canvas_target, people, max(extra, 0), rng)
        if draw < self.p_background + self.p_overlay:
            return self._paste_people(rgb, target, [], int(rng.integers(1, 3)), rng)
        return rgb, target

    def _paste_people(
        self,
        canvas: np.ndarray,
        canvas_target: np.ndarray,
        people: list[tuple[np.ndarray, np.ndarray]],
        extra: int,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        people = people + [self.people(int(rng.integers(self.count))) for _ in range(extra if self.count else 0)]
        for rgb, target in people:
            piece = cut_out(rgb, target)
            if piece is not None:
                if rng.random() < 0.5:
                    piece = (piece[0][:, ::-1], piece[1][:, ::-1])
                canvas, canvas_target = paste_random(canvas, canvas_target, *piece, rng, self.height_range)
        return canvas, canvas_target
