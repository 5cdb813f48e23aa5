"""What every classical method shares: the person prior, the working resolution, the result.

A classical method subclasses :class:`ClassicalSegmenter` and implements :meth:`_segment_small`
on a down-sampled copy of the image with its :class:`~.priors.PersonPrior`; the base class finds the
keypoints (``prior="pose"``), falls back to the centre prior when the pose model finds nobody,
refuses uniform images politely, and brings the result back to the input's resolution.
"""

from __future__ import annotations

import abc
import logging

import cv2
import numpy as np

from bodyseg.geometry import downscale, upscale_prob
from bodyseg.pose.skeleton import scale_keypoints, visible
from bodyseg.result import CLUSTER_MAP, Person, Segmentation, box_of_mask
from bodyseg.segmenters.base import Segmenter
from bodyseg.segmenters.classical.priors import PRIORS, PersonPrior, person_prior
from bodyseg.segmenters.options import check_choice, check_int

log = logging.getLogger(__name__)

#: What to do when ``prior="pose"`` and the pose model finds nobody.
FALLBACKS: tuple[str, ...] = ("centre", "empty")

#: An image whose every channel spans fewer grey levels than this (1st to 99th percentile) is uniform.
UNIFORM_RANGE = 4.0

NO_PERSON = "no person detected by the pose model"


def upscale_labels(labels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """HxW int32 label map at ``shape`` (nearest neighbour).

    Example:
        >>> upscale_labels(np.array([[0, 1]]), (2, 4)).tolist()
        [[0, 0, 1, 1], [0, 0, 1, 1]]
    """
    h, w = shape
    labels = labels.astype(np.int32)
    if labels.shape == (h, w):
        return labels
    return cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST)


def is_uniform(rgb: np.ndarray, spread: float = UNIFORM_RANGE) -> bool:
    """True when every channel spans fewer than ``spread`` levels from its 1st to 99th percentile.

    Example:
        >>> is_uniform(np.full((20, 20, 3), 7, np.uint8))
        True
    """
    low, high = np.percentile(rgb.reshape(-1, 3), [1, 99], axis=0)
    return bool((high - low < spread).all())


def lab_pixels(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 float32 CIE Lab (L in 0..100, a and b about -100..100) of an RGB uint8 image.

    Example:
        >>> lab_pixels(np.full((1, 1, 3), 255, np.uint8)).round().tolist()
        [[[100.0, 0.0, 0.0]]]
    """
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def pixel_features(rgb: np.ndarray, position_weight: float = 0.0) -> np.ndarray:
    """(H*W)xD float32 features: Lab colour, plus scaled (x, y) when ``position_weight > 0``.

    Positions are in units of the image's longer side times ``100 * position_weight``, so with
    weight 1 crossing the image costs as much as going from black to white (the SLIC-style
    5-D feature; SLIC's compactness plays the same role).

    Example:
        >>> pixel_features(np.zeros((2, 3, 3), np.uint8), position_weight=1.0).shape
        (6, 5)
    """
    h, w = rgb.shape[:2]
    lab = lab_pixels(rgb).reshape(-1, 3)
    if position_weight <= 0:
        return lab
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    unit = 100.0 * position_weight / max(h, w)
    return np.column_stack([lab, xx.ravel() * unit, yy.ravel() * unit]).astype(np.float32)


def empty_result(shape: tuple[int, int], warning: str) -> Segmentation:
    """An all-zero result of ``shape`` that records ``warning``."""
    result = Segmentation(prob=np.zeros(shape, np.float32))
    result.warn(warning)
    return result


class ClassicalSegmenter(Segmenter):
    """Base of the classical methods: prior, working resolution, uniform images, the result.

    Args:
        prior: ``"pose"`` (skeleton of the keypoints the MediaPipe pose model finds) or
            ``"centre"`` (a centred ellipse; no model is run).
        max_side: the image is shrunk so its longer side is at most this many pixels before the
            method runs; ``prob`` is brought back to the input's size.
        fallback: with ``prior="pose"`` and nobody found, ``"centre"`` uses the centre prior
            (and records a warning), ``"empty"`` returns an empty mask (and records a warning).
        pose: a segmenter returning people with keypoints (``mediapipe-pose``), to share one pose
            model between methods; by default one is created on first use and closed by
            :meth:`close`.

    Example:
        >>> from bodyseg.segmenters import create
        >>> create("kmeans", prior="centre").segment(np.zeros((32, 32, 3), np.uint8)).warnings
        ['the image is uniform (one flat colour): there is nothing to segment']
    """

    #: Default longer side of the working image; subclasses set their own.
    default_max_side = 320

    def __init__(
        self,
        *,
        prior: str = "pose",
        max_side: int | None = None,
        fallback: str = "centre",
        pose: Segmenter | None = None,
    ) -> None:
        self.prior = check_choice("prior", prior, PRIORS)
        self.max_side = check_int(
            "max_side", self.default_max_side if max_side in (None, "auto") else max_side, 16, 4096
        )
        self.fallback = check_choice("fallback", fallback, FALLBACKS)
        self._pose = pose
        self._owns_pose = pose is None

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        shape = rgb.shape[:2]
        small, scale = downscale(rgb, self.max_side)
        if is_uniform(small):
            return empty_result(shape, "the image is uniform (one flat colour): there is nothing to segment")
        warnings: list[str] = []
        keypoints = self._keypoints(rgb) if self.prior == "pose" else None
        if self.prior == "pose" and keypoints is None:
            if self.fallback == "empty":
                return empty_result(shape, f"{NO_PERSON}; returning an empty mask (fallback='empty')")
            warnings.append(f"{NO_PERSON}; used the centre prior instead")
        small_keypoints = None if keypoints is None else scale_keypoints(keypoints, scale)
        prior = person_prior(small.shape[:2], small_keypoints, scale)
        found = self._segment_small(small, prior)
        meta = {**found.meta, "prior": prior.source, "working_size": small.shape[1::-1]}
        if CLUSTER_MAP in meta:
            meta[CLUSTER_MAP] = upscale_labels(meta[CLUSTER_MAP], shape)
        result = Segmentation(prob=upscale_prob(found.prob, shape), meta=meta)
        for message in warnings + found.warnings:
            result.warn(message)
        if keypoints is not None:
            mask = result.mask()
            score = float(np.clip(keypoints[:, 2], 0, 1).mean())
            result.people.append(Person(mask=mask, box=box_of_mask(mask), score=score, keypoints=keypoints))
        if not result.mask().any():
            result.warn("no person pixels found")
        return result

    @abc.abstractmethod
    def _segment_small(self, rgb: np.ndarray, prior: PersonPrior) -> Segmentation:
        """Segment the working-resolution ``rgb`` with its ``prior``; prob and clusters at that size."""

    def _keypoints(self, rgb: np.ndarray) -> np.ndarray | None:
        """The 33x3 keypoints of the person the pose model finds in ``rgb``, or None (nobody, or
        fewer than two keypoints visible)."""
        if self._pose is None:
            from bodyseg.segmenters.mediapipe import PoseSegmenter

            self._pose = PoseSegmenter()
        people = self._pose.segment(rgb).people
        if not people or people[0].keypoints is None or visible(people[0].keypoints).sum() < 2:
            log.info("%s: %s", self.name, NO_PERSON)
            return None
        return people[0].keypoints

    def close(self) -> None:
        if self._owns_pose and self._pose is not None:
            self._pose.close()
        self._pose = None
