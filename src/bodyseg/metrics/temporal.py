"""Video metrics: temporal stability (dtSSD) and mean per-frame IoU, streamed frame by frame.

dtSSD compares how the prediction changes from frame to frame with how the ground truth changes::

    dtSSD = 100 * sqrt(mean over frames t >= 1 and pixels of ((p_t - p_{t-1}) - (g_t - g_{t-1}))^2)

with probabilities / masks in [0, 1]. 0 means the prediction flickers exactly as much as the truth
moves; a prediction that flickers by a whole pixel value everywhere scores 100.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from bodyseg.errors import InputError
from bodyseg.metrics.region import binary_scores, check_same_shape


def _as_unit_frame(frame: np.ndarray, name: str) -> np.ndarray:
    """HxW float64 in [0, 1]; refuses other shapes and ranges with a hint."""
    a = np.asarray(frame, dtype=np.float64)
    if a.ndim != 2:
        raise InputError(f"{name} frames must be HxW, got shape {a.shape}")
    if a.size and (a.min() < 0 or a.max() > 1):
        raise InputError(
            f"{name} frames must hold values in [0, 1], got [{a.min()}, {a.max()}]: pass probabilities "
            "(not logits) and divide 0-255 masks by 255"
        )
    return a


class TemporalMeter:
    """Stream a video's frames through to get dtSSD and mean frame IoU without holding the video.

    Args:
        threshold: a probability above this counts as person for the frame IoU (also applied to the
            ground truth, so soft mattes work).

    Example:
        >>> meter = TemporalMeter()
        >>> meter.update(np.array([[0.0, 0.0]]), np.array([[0.0, 0.0]]))
        >>> meter.update(np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]]))  # a flicker the truth lacks
        >>> round(meter.compute()["dtssd"], 2)  # 100 * sqrt((1 + 0) / 2)
        70.71
    """

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        """Forget every frame added so far (start a new video)."""
        self._previous: tuple[np.ndarray, np.ndarray] | None = None
        self._squared_sum = 0.0
        self._pixels = 0
        self.frame_iou: list[float] = []

    def update(self, pred_prob: np.ndarray, gt: np.ndarray) -> None:
        """Add the next frame: HxW prediction and ground truth, both in [0, 1]."""
        p, g = _as_unit_frame(pred_prob, "prediction"), _as_unit_frame(gt, "ground truth")
        check_same_shape(p, g)
        if self._previous is not None:
            p_prev, g_prev = self._previous
            if p.shape != p_prev.shape:
                raise InputError(f"frame shape changed from {p_prev.shape} to {p.shape} within one video")
            change = (p - p_prev) - (g - g_prev)
            self._squared_sum += float(np.sum(change * change))
            self._pixels += change.size
        self._previous = (p, g)
        self.frame_iou.append(binary_scores(p > self.threshold, g > self.threshold)["iou"])

    def compute(self) -> dict[str, float]:
        """``dtssd`` (NaN for a single frame: nothing changes), ``mean_frame_iou`` and ``frames``.

        Raises:
            InputError: no frame was added.
        """
        if not self.frame_iou:
            raise InputError("TemporalMeter is empty: call update(pred_prob, gt) for each frame first")
        dtssd = 100.0 * np.sqrt(self._squared_sum / self._pixels) if self._pixels else float("nan")
        return {"dtssd": float(dtssd), "mean_frame_iou": float(np.mean(self.frame_iou)), "frames": len(self.frame_iou)}


def _run(pred: Iterable[np.ndarray], gt: Iterable[np.ndarray], threshold: float) -> dict[str, float]:
    meter = TemporalMeter(threshold)
    try:
        for p, g in zip(pred, gt, strict=True):
            meter.update(p, g)
    except ValueError as exc:
        if "zip()" not in str(exc):
            raise
        raise InputError("prediction and ground truth have different numbers of frames") from None
    return meter.compute()


def dtssd(pred_probs: Iterable[np.ndarray], gt: Iterable[np.ndarray]) -> float:
    """Temporal stability of a video prediction (lower is better), see the module docstring.

    Args:
        pred_probs: HxW float frames in [0, 1] (any iterable: a generator streams).
        gt: HxW ground-truth frames in [0, 1] (bool masks or soft mattes).

    Returns:
        dtSSD in [0, 200]; NaN for a single frame.

    Example:
        >>> g = [np.zeros((1, 2)), np.zeros((1, 2))]
        >>> round(dtssd([np.zeros((1, 2)), np.array([[1.0, 0.0]])], g), 2)
        70.71
    """
    return _run(pred_probs, gt, 0.5)["dtssd"]


def mean_frame_iou(pred: Iterable[np.ndarray], gt: Iterable[np.ndarray], threshold: float = 0.5) -> float:
    """Mean over frames of the binary IoU (a frame with both masks empty counts 1.0).

    Probabilities are thresholded at ``threshold`` (``> threshold`` is person); bool and 0/1
    masks pass unchanged.

    Example:
        >>> mean_frame_iou([np.array([[1, 1]]), np.array([[0, 0]])], [np.array([[1, 0]]), np.array([[0, 0]])])
        0.75
    """
    return _run(pred, gt, threshold)["mean_frame_iou"]
