"""The Segmenter interface every method implements."""

from __future__ import annotations

import abc
import time
from typing import Any, ClassVar

import numpy as np

from bodyseg.errors import InputError
from bodyseg.io.images import ImageLike, load_image
from bodyseg.result import Segmentation

#: Below this many pixels on a side no method can find a person; segmenters return an empty result.
MIN_SIDE = 16


def require_min_side(image: np.ndarray, source: object) -> np.ndarray:
    """``image`` itself when both its sides are at least :data:`MIN_SIDE`; else an
    :class:`~bodyseg.errors.InputError` naming ``source`` (a command refuses such a file rather than
    writing an empty result).

    Example:
        >>> require_min_side(np.zeros((8, 40, 3), np.uint8), "tiny.png")
        Traceback (most recent call last):
        ...
        bodyseg.errors.InputError: tiny.png: the image is 40x8; bodyseg needs at least 16x16 pixels to find a person
    """
    if min(image.shape[:2]) < MIN_SIDE:
        raise InputError(
            f"{source}: the image is {image.shape[1]}x{image.shape[0]}; "
            f"bodyseg needs at least {MIN_SIDE}x{MIN_SIDE} pixels to find a person"
        )
    return image


class Segmenter(abc.ABC):
    """Base class: turns an image into a :class:`~bodyseg.result.Segmentation`.

    Subclasses set ``name`` and implement :meth:`_segment` on an RGB uint8 array that is at
    least :data:`MIN_SIDE` pixels on each side. :meth:`segment` accepts anything
    :func:`~bodyseg.io.load_image` does, handles images too small to hold a person, and records
    the method name and the time taken in ``meta``.

    Example:
        >>> class Everything(Segmenter):
        ...     name = "everything"
        ...     def _segment(self, rgb):
        ...         return Segmentation(prob=np.ones(rgb.shape[:2], np.float32))
        >>> bool(Everything().segment(np.zeros((20, 20, 3), np.uint8)).mask().all())
        True
    """

    name: str = "segmenter"
    #: Options a video built from this method's name (:class:`~bodyseg.video.VideoSegmenter`,
    #: ``bodyseg video``) uses unless they are given: steps that pay on photos but not on frames.
    video_defaults: ClassVar[dict[str, Any]] = {}

    def segment(self, image: ImageLike) -> Segmentation:
        """Segment the people in ``image`` (path, PIL image or RGB uint8 array)."""
        rgb = load_image(image)
        start = time.perf_counter()
        if min(rgb.shape[:2]) < MIN_SIDE:
            result = Segmentation(prob=np.zeros(rgb.shape[:2], np.float32))
            result.warn(
                f"image is {rgb.shape[1]}x{rgb.shape[0]}, too small to find a person (needs {MIN_SIDE}x{MIN_SIDE})"
            )
        else:
            result = self._segment(rgb)
        return self._stamped(result, rgb, start)

    def segment_next(self, image: ImageLike, previous: Segmentation) -> Segmentation | None:
        """Segment the next frame of a video starting from ``previous`` (this segmenter's result on
        an earlier frame), more cheaply than :meth:`segment`; None when a full :meth:`segment` is
        needed (this segmenter cannot follow, or it lost someone).

        :class:`~bodyseg.video.VideoSegmenter` calls it between full runs. The base class never
        follows; a subclass that can implements :meth:`_segment_next`.

        Example:
            >>> class Everything(Segmenter):
            ...     name = "everything"
            ...     def _segment(self, rgb):
            ...         return Segmentation(prob=np.ones(rgb.shape[:2], np.float32))
            >>> frame = np.zeros((20, 20, 3), np.uint8)
            >>> Everything().segment_next(frame, Everything().segment(frame)) is None
            True
        """
        rgb = load_image(image)
        if min(rgb.shape[:2]) < MIN_SIDE or previous.prob.shape != rgb.shape[:2]:
            return None
        start = time.perf_counter()
        result = self._segment_next(rgb, previous)
        return None if result is None else self._stamped(result, rgb, start)

    def _stamped(self, result: Segmentation, rgb: np.ndarray, start: float) -> Segmentation:
        """``result`` checked against the image and stamped with the method name and the time taken."""
        if result.prob.shape != rgb.shape[:2]:
            raise RuntimeError(
                f"{self.name} returned prob of shape {result.prob.shape} for an image of {rgb.shape[:2]}"
            )
        result.meta.setdefault("method", self.name)
        result.meta["ms"] = (time.perf_counter() - start) * 1000.0
        return result

    @abc.abstractmethod
    def _segment(self, rgb: np.ndarray) -> Segmentation:
        """Segment an HxWx3 RGB uint8 array of at least MIN_SIDE pixels a side."""

    def _segment_next(self, rgb: np.ndarray, previous: Segmentation) -> Segmentation | None:
        """Follow ``previous`` onto ``rgb`` (see :meth:`segment_next`); None: not possible."""
        return None

    def close(self) -> None:  # noqa: B027 (a no-op unless the method holds native resources)
        """Release native resources (models, sessions). Safe to call twice."""

    def __enter__(self) -> Segmenter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class EdgeRefined(Segmenter):
    """Any method with its probability's edges refined on the image afterwards (``edges="crf"`` or
    ``"guided"`` for a method that has no ``edges`` option of its own); people keep their pixels
    inside the refined mask.

    Example:
        >>> class Everything(Segmenter):
        ...     name = "everything"
        ...     def _segment(self, rgb):
        ...         return Segmentation(prob=np.ones(rgb.shape[:2], np.float32))
        >>> EdgeRefined(Everything(), "guided").segment(np.zeros((20, 20, 3), np.uint8)).meta["edges"]
        'guided'
    """

    def __init__(self, inner: Segmenter, edges: str) -> None:
        from bodyseg.refine.edges import EDGE_REFINERS
        from bodyseg.segmenters.options import check_choice

        self.inner = inner
        self.edges = check_choice("edges", edges, EDGE_REFINERS)
        self.name = inner.name

    def _refined(self, rgb: np.ndarray, seg: Segmentation) -> Segmentation:
        from bodyseg.refine.edges import refine_edges

        seg.prob = refine_edges(rgb, seg.prob, self.edges).astype(np.float32)
        for person in seg.people:
            person.mask = person.mask & (seg.prob > 0.5)
        seg.meta["edges"] = self.edges
        return seg

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        return self._refined(rgb, self.inner.segment(rgb))

    def _segment_next(self, rgb: np.ndarray, previous: Segmentation) -> Segmentation | None:
        seg = self.inner.segment_next(rgb, previous)
        return None if seg is None else self._refined(rgb, seg)

    def close(self) -> None:
        self.inner.close()
