"""Temporal smoothing of person probabilities that follows motion instead of smearing it.

A plain running average of probabilities removes flicker but leaves a ghost behind every moving
arm. Here the previous result is first moved onto the current frame with optical flow
(:class:`~bodyseg.video.flow.Motion`), and the blend weight is gated per pixel by how well the
moved previous *frame* matches the current one: where the flow explains the change (still
background, a body moving smoothly) the average holds; where it does not (a fast limb, an
occlusion, a person appearing) the gate closes and the new probability is taken as it is::

    gate = exp(-(|grey_t - warp(grey_{t-1})| / tolerance)^2)
    prob = w * gate * warp(prob_{t-1}) + (1 - w * gate) * prob_t

``mode="gated"`` skips the warp (previous probability and frame used where they are): cheaper,
and still safe on moving limbs because the gate closes wherever the frame changed.

:func:`fuse_by_confidence` weighs each side also by how sure it is (``|2p - 1|``): where the new
frame hesitates and the moved previous result was sure, the previous one holds. :func:`is_cut`
tells a scene cut (most of the frame unexplained by the flow), after which nothing is carried over.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Smoothing modes :func:`smooth_probability` callers choose from (``"off"`` disables it).
SMOOTHING_MODES = ("flow", "gated", "off")

#: How the new and the moved previous probability are blended: a fixed share, or by confidence.
FUSIONS = ("blend", "confidence")


def motion_gate(grey: np.ndarray, previous_grey: np.ndarray, tolerance: float = 10.0) -> np.ndarray:
    """HxW float32 in [0, 1]: 1 where two grey uint8 frames agree, towards 0 where they differ.

    Args:
        grey: the current frame (small grey, see :func:`~bodyseg.video.flow.small_grey`).
        previous_grey: the previous frame, already warped onto the current one (or not).
        tolerance: grey-level difference (0-255) at which the gate is down to exp(-1) = 0.37.

    Example:
        >>> a = np.zeros((8, 8), np.uint8); b = a.copy(); b[:, 4:] = 200
        >>> gate = motion_gate(a, b)
        >>> bool(gate[0, 0] > 0.9 and gate[0, 7] < 0.01)
        True
    """
    residual = cv2.GaussianBlur(cv2.absdiff(grey, previous_grey).astype(np.float32), (0, 0), sigmaX=1.0)
    residual *= np.float32(1.0 / tolerance)
    return np.exp(-np.square(residual))


def smooth_probability(prob: np.ndarray, previous: np.ndarray, gate: np.ndarray, weight: float = 0.6) -> np.ndarray:
    """Blend the previous (aligned) probability into the current one where ``gate`` allows.

    Args:
        prob: HxW float32, this frame's probability.
        previous: HxW float32, the previous smoothed probability aligned with this frame.
        gate: HxW in [0, 1] (any size: resized to ``prob``'s), see :func:`motion_gate`.
        weight: the previous frame's share where the gate is fully open (0 turns smoothing off).

    Example:
        >>> p, q = np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)
        >>> smooth_probability(p, q, np.array([[1.0, 0.0], [1.0, 0.0]]), 0.5).tolist()
        [[0.5, 1.0], [0.5, 1.0]]
    """
    if gate.shape != prob.shape:
        gate = cv2.resize(gate, (prob.shape[1], prob.shape[0]), interpolation=cv2.INTER_LINEAR)
    out = previous - prob
    out *= gate.astype(np.float32, copy=False)
    out *= np.float32(weight)
    out += prob
    return np.clip(out, 0.0, 1.0, out=out)


def fuse_by_confidence(
    prob: np.ndarray, previous: np.ndarray, gate: np.ndarray, weight: float = 0.6, floor: float = 0.1
) -> np.ndarray:
    """Blend the previous (aligned) probability into the current one, each weighed by its confidence.

    ``w_prev = weight * gate * (floor + |2 q - 1|)``, ``w_new = (1 - weight) * (floor + |2 p - 1|)``,
    ``out = (w_prev q + w_new p) / (w_prev + w_new)``: where both are sure and agree this is the fixed
    blend; where this frame hesitates (p near 0.5) the sure previous result holds; where the gate is
    shut (the flow does not explain the change) the new probability is taken as it is.

    Example:
        >>> p, q, open_ = np.array([[0.5, 0.9]], np.float32), np.array([[1.0, 1.0]], np.float32), np.ones((1, 2))
        >>> fused = fuse_by_confidence(p, q, open_, weight=0.5)
        >>> bool(fused[0, 0] > 0.9), round(float(fused[0, 1]), 3)
        (True, 0.955)
        >>> fuse_by_confidence(p, q, np.zeros((1, 2)), 0.5).tolist() == p.tolist()
        True
    """
    if gate.shape != prob.shape:
        gate = cv2.resize(gate, (prob.shape[1], prob.shape[0]), interpolation=cv2.INTER_LINEAR)
    w_prev = np.abs(previous * 2 - 1)
    w_prev += np.float32(floor)
    w_prev *= gate.astype(np.float32, copy=False) * np.float32(weight)
    w_new = np.abs(prob * 2 - 1)
    w_new += np.float32(floor)
    w_new *= np.float32(1.0 - weight)
    out = previous * w_prev
    out += prob * w_new
    out /= w_prev + w_new
    return np.clip(out, 0.0, 1.0, out=out)


def is_cut(gate: np.ndarray, open_share: float = 0.3) -> bool:
    """True when less than ``open_share`` of the frame is explained by the moved previous frame: a cut.

    Example:
        >>> is_cut(np.zeros((4, 4))), is_cut(np.ones((4, 4)))
        (True, False)
    """
    return float(np.mean(gate > 0.5)) < open_share
