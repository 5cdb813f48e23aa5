"""GrabCut (OpenCV): colour GMMs and a graph cut, started from a person box or the pose skeleton."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from bodyseg.errors import InputError, MethodError
from bodyseg.result import Segmentation
from bodyseg.segmenters.base import Segmenter
from bodyseg.segmenters.classical.base import ClassicalSegmenter
from bodyseg.segmenters.classical.priors import PersonPrior
from bodyseg.segmenters.options import check_choice, check_int

#: The values of the ``init`` option.
INITS: tuple[str, ...] = ("box", "skeleton")

#: Skeleton seeds, in limb widths from the bones: sure person within SURE_FG, probable person
#: within PROBABLE_FG, sure background beyond SURE_BG.
SURE_FG = 0.25
PROBABLE_FG = 0.5
SURE_BG = 2.5

Box = tuple[int, int, int, int]


def parse_box(box: Sequence[float] | str) -> tuple[float, float, float, float]:
    """``(x0, y0, x1, y1)`` from four numbers or the text ``"x0,y0,x1,y1"`` (as the CLI passes it).

    Example:
        >>> parse_box("10, 20,300,400"), parse_box([1, 2, 3, 4])
        ((10.0, 20.0, 300.0, 400.0), (1.0, 2.0, 3.0, 4.0))
    """
    try:
        values = box.split(",") if isinstance(box, str) else list(box)
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):  # a single number (box=5) is not iterable
        numbers = ()
    if len(numbers) != 4 or not all(math.isfinite(v) for v in numbers):
        raise InputError(f"box must be four numbers x0,y0,x1,y1 in pixels, got {box!r}")
    return numbers  # type: ignore[return-value]


def check_box(box: Sequence[float], shape: tuple[int, int]) -> Box:
    """``box`` as ints ``(x0, y0, x1, y1)`` clipped to an image of ``shape``; InputError if unusable.

    Example:
        >>> check_box((-5, 10, 50.4, 300), (100, 80))
        (0, 10, 50, 100)
    """
    h, w = shape
    x0, y0, x1, y1 = (int(round(v)) for v in parse_box(box))
    clipped = (max(0, x0), max(0, y0), min(w, x1), min(h, y1))
    if clipped[2] - clipped[0] < 2 or clipped[3] - clipped[1] < 2:
        raise InputError(
            f"box {tuple(box)} leaves no area inside the {w}x{h} image; give (x0, y0, x1, y1) with x0 < x1 and y0 < y1"
        )
    return clipped


def scale_box(box: Box, scale: float) -> Box:
    """A box in the coordinates of an image resized by ``scale``.

    Example:
        >>> scale_box((10, 20, 30, 41), 0.5)
        (5, 10, 15, 21)
    """
    x0, y0, x1, y1 = box
    return (int(x0 * scale), int(y0 * scale), int(np.ceil(x1 * scale)), int(np.ceil(y1 * scale)))


def box_mask(box: Box, shape: tuple[int, int]) -> np.ndarray:
    """GrabCut seed mask: probable person inside ``box``, sure background outside (at least a
    one-pixel frame, so the background model always has pixels to learn from).

    Example:
        >>> box_mask((1, 1, 3, 3), (4, 4))[1:3, 1:3].tolist() == [[cv2.GC_PR_FGD] * 2] * 2
        True
    """
    h, w = shape
    x0, y0, x1, y1 = box
    x0, y0, x1, y1 = max(x0, 1), max(y0, 1), min(x1, w - 1), min(y1, h - 1)
    mask = np.full(shape, cv2.GC_BGD, np.uint8)
    mask[y0:y1, x0:x1] = cv2.GC_PR_FGD
    return mask


def skeleton_seed_mask(prior: PersonPrior, box: Box | None = None) -> np.ndarray:
    """GrabCut seed mask from a pose prior: sure person on the bones, torso and head, probable
    person on the limbs, sure background far from the skeleton (and outside ``box``), probable
    background between.

    Example:
        >>> from bodyseg.pose.skeleton import LANDMARK
        >>> from bodyseg.segmenters.classical.priors import person_prior
        >>> kp = np.zeros((33, 3), np.float32)
        >>> kp[LANDMARK["left_hip"]] = (20, 10, 1); kp[LANDMARK["left_knee"]] = (20, 40, 1)
        >>> m = skeleton_seed_mask(person_prior((50, 40), kp))
        >>> int(m[25, 20]) == cv2.GC_FGD, int(m[25, 0]) == cv2.GC_BGD
        (True, True)
    """
    if prior.distance is None:
        raise MethodError("skeleton seeds need a pose prior (prior='pose' and a person found)")
    mask = np.full(prior.prob.shape, cv2.GC_PR_BGD, np.uint8)
    mask[~prior.band(SURE_BG)] = cv2.GC_BGD
    if box is not None:
        mask[~(box_mask(box, prior.prob.shape) == cv2.GC_PR_FGD)] = cv2.GC_BGD
    mask[prior.band(PROBABLE_FG)] = cv2.GC_PR_FGD
    mask[prior.band(SURE_FG)] = cv2.GC_FGD
    h, w = mask.shape
    frame = np.ones((h, w), bool)
    frame[1:-1, 1:-1] = False
    mask[frame & (mask != cv2.GC_FGD)] = cv2.GC_BGD
    return mask


def grabcut(rgb: np.ndarray, seeds: np.ndarray, iterations: int) -> np.ndarray:
    """HxW bool person mask by OpenCV's GrabCut from a seed mask (``cv2.GC_*`` values).

    Example:
        >>> rgb = np.zeros((40, 40, 3), np.uint8); rgb[10:30, 10:30] = 200
        >>> float(grabcut(rgb, box_mask((5, 5, 35, 35), (40, 40)), 3)[10:30, 10:30].mean())
        1.0
    """
    mask = seeds.copy()
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(np.ascontiguousarray(rgb), mask, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


class GrabCutSegmenter(ClassicalSegmenter):
    """GrabCut (OpenCV ``cv2.grabCut``): person/background colour GMMs and a graph cut, iterated.

    Started from the skeleton (``init="skeleton"``, the default): sure person within a quarter limb
    width of the bones, the torso and the head, probable person on the limbs, sure background beyond
    2.5 limb widths (and outside ``box`` if given), probable background between. Or from a box
    (``init="box"``, and always when there are no keypoints: ``prior="centre"`` or nobody found):
    the user's ``box``, else the box of the pose keypoints grown by 12% of its longer side, else the
    centre box (the image without 15% on the left and right and 2% at the top and bottom).
    ``meta["init"]`` says which was used. Runs on a down-sampled image (longer side ``max_side``);
    ``prob`` is the hard mask, bilinear up to the input size (so 0/1 with a soft edge).

    Args:
        init: ``"skeleton"`` or ``"box"`` (skeleton seeds need keypoints; without them the box
            is used).
        box: ``(x0, y0, x1, y1)`` in input pixels (or the text ``"x0,y0,x1,y1"``) where the
            person is; replaces the automatic box (x1/y1 exclusive).
        iterations: GrabCut's EM/graph-cut rounds.
        prior, max_side, fallback, pose: see :class:`~.base.ClassicalSegmenter`.

    Failure modes:
        - A box that cuts off part of the person loses that part (outside the box is background).
        - Background of the person's colours near the person (inside the box or the skeleton
          band) joins the person.
        - Wrong keypoints with ``init="skeleton"`` seed background as sure person.

    Cost: 0.9 s from the centre box, 0.6-1.0 s with ``prior="pose"`` (the pose model included) at
    the default 320-pixel working size (median per photo on CCP, DAVIS and COCO, measured by
    ``benchmarks/classical_quick.py`` on a shared, busy 2-core machine); five GrabCut rounds
    dominate.

    Example:
        >>> seg = GrabCutSegmenter(box=(120, 40, 420, 470)).segment("photo.jpg")  # doctest: +SKIP
    """

    name = "grabcut"
    default_max_side = 320

    def __init__(
        self,
        init: str = "skeleton",
        box: Sequence[float] | str | None = None,
        iterations: int = 5,
        *,
        prior: str = "pose",
        max_side: int | None = None,
        fallback: str = "centre",
        pose: Segmenter | None = None,
    ) -> None:
        super().__init__(prior=prior, max_side=max_side, fallback=fallback, pose=pose)
        self.init = check_choice("init", init, INITS)
        self.box = None if box is None else parse_box(box)
        self.iterations = check_int("iterations", iterations, 1, 50)

    def _segment_small(self, rgb: np.ndarray, prior: PersonPrior) -> Segmentation:
        shape = rgb.shape[:2]
        input_shape = (round(shape[0] / prior.scale), round(shape[1] / prior.scale))
        box = None if self.box is None else scale_box(check_box(self.box, input_shape), prior.scale)
        result = Segmentation(prob=np.zeros(shape, np.float32), meta={"init": self.init})
        if self.init == "skeleton" and prior.distance is not None:
            seeds = skeleton_seed_mask(prior, box)
        else:  # no keypoints (prior="centre", or nobody found, which the base class warned about)
            result.meta["init"] = "box"
            seeds = box_mask(box or prior.box, shape)
        try:
            result.prob = grabcut(rgb, seeds, self.iterations).astype(np.float32)
        except cv2.error as exc:  # degenerate seeds (no pixel of one side): nothing to cut
            result.warn(f"GrabCut could not run on these seeds ({exc.err}); the mask is empty")
        return result
