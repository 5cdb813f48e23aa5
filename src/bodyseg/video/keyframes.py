"""Key-frame reuse: run the expensive segmenter only when the frame has changed enough.

The idea of clockwork and low-latency video segmentation nets (Shelhamer et al., 2016; Li et al.,
2018): deep features change slowly, so when a cheap low-level measure says the frame barely
changed since the last key frame, the last result is reused, moved along with optical flow. The
measure here is the mean absolute grey difference (0-1) on a tiny copy of the frame, taken both over
the whole frame and over the region where people were last seen (a person moving in a wide, still
shot changes few pixels of the frame but most of the region that matters). ``max_stale`` bounds
the reuse: a key frame's result serves at most that many following frames.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

#: Long side of the frame copy the change is measured on.
TINY_SIDE = 64


def tiny_grey(grey: np.ndarray, side: int = TINY_SIDE) -> np.ndarray:
    """Float32 grey in [0, 1] with a long side of ``side`` pixels (area average: noise cancels).

    Example:
        >>> tiny_grey(np.full((180, 320), 255, np.uint8)).shape
        (36, 64)
    """
    scale = side / max(grey.shape)
    size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def frame_change(current: np.ndarray, key: np.ndarray, region: np.ndarray | None = None) -> float:
    """Mean absolute difference of two tiny frames; the larger of the whole frame's and ``region``'s.

    Args:
        current, key: tiny grey frames (:func:`tiny_grey`) of one size.
        region: bool mask of the same size where people are, or None.

    Example:
        >>> a = np.zeros((10, 10), np.float32); b = a.copy(); b[0, :5] = 1.0
        >>> round(frame_change(a, b), 3), round(frame_change(a, b, b > 0), 3)
        (0.05, 1.0)
    """
    diff = np.abs(current - key)
    change = float(diff.mean())
    if region is not None and region.any():
        change = max(change, float(diff[region].mean()))
    return change


def person_region(prob: np.ndarray, shape: tuple[int, int], threshold: float = 0.5, margin: int = 2) -> np.ndarray:
    """Tiny bool mask (``shape``) of where ``prob`` holds people, grown by ``margin`` tiny pixels."""
    small = cv2.resize(prob, (shape[1], shape[0]), interpolation=cv2.INTER_AREA) > threshold * 0.5
    if margin > 0 and small.any():
        small = cv2.dilate(small.astype(np.uint8), np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) > 0
    return small


class KeyframeScheduler:
    """Decides frame by frame whether to run the segmenter or reuse the last key frame's result.

    Args:
        threshold: frame change (:func:`frame_change`, 0-1) above which the segmenter runs.
        max_stale: the most consecutive frames that reuse one key frame's result; key frames are
            therefore never more than ``max_stale + 1`` frames apart. 0 runs the segmenter on
            every frame.

    Example:
        >>> scheduler = KeyframeScheduler(threshold=0.05, max_stale=2)
        >>> still = np.zeros((4, 4), np.float32)
        >>> [scheduler.is_key(still) for _ in range(7)]
        [True, False, False, True, False, False, True]
    """

    def __init__(self, threshold: float = 0.02, max_stale: int = 2) -> None:
        if max_stale < 0:
            raise ValueError(f"max_stale must be >= 0, got {max_stale}")
        self.threshold = float(threshold)
        self.max_stale = int(max_stale)
        self.reset()

    def reset(self) -> None:
        """Forget the key frame (the next frame will be one)."""
        self._key: np.ndarray | None = None
        self.stale = 0
        self.last_change = float("nan")

    def is_key(self, tiny: np.ndarray, region: np.ndarray | Callable[[], np.ndarray] | None = None) -> bool:
        """True when this frame must be segmented (it then becomes the key frame).

        ``region`` (the people's tiny mask, or a function that computes it) is looked at only when
        the whole frame changed too little to decide alone (``last_change`` is then the larger of
        the two; else the whole frame's): a function is not called on the other frames.

        Example:
            >>> scheduler = KeyframeScheduler(threshold=0.05, max_stale=2)
            >>> still, moved = np.zeros((4, 4), np.float32), np.ones((4, 4), np.float32)
            >>> scheduler.is_key(still), scheduler.is_key(moved, region=lambda: 1 / 0)  # never asked
            (True, True)
        """
        if self._key is not None and self._key.shape == tiny.shape:
            self.last_change = frame_change(tiny, self._key)
            may_reuse = self.stale < self.max_stale
            if may_reuse and self.last_change <= self.threshold and region is not None:
                self.last_change = frame_change(tiny, self._key, region() if callable(region) else region)
            if may_reuse and self.last_change <= self.threshold:
                self.stale += 1
                return False
        self._key, self.stale = tiny, 0
        return True
