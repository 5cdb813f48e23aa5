"""Guided filter (He et al., 2010): edge-aware smoothing of a map guided by the photo."""

from __future__ import annotations

import cv2
import numpy as np


def box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window, edges normalised by the number of pixels inside the image."""
    return cv2.boxFilter(x, -1, (2 * radius + 1, 2 * radius + 1), normalize=True, borderType=cv2.BORDER_REFLECT)


def guided_filter(
    guide: np.ndarray, src: np.ndarray, radius: int = 8, eps: float = 1e-3, subsample: int = 1
) -> np.ndarray:
    """Filter ``src`` (HxW float) so its edges follow the grey-level edges of ``guide`` (HxWx3 uint8).

    Where the guide is flat the output is ``src`` smoothed over the window; where the guide has an
    edge the output follows it. ``eps`` (on a [0, 1] guide) sets what counts as an edge.

    Example:
        >>> g = np.zeros((20, 20, 3), np.uint8); g[:, 10:] = 255
        >>> noisy = (g[..., 0] > 0).astype(np.float32); noisy[5, 3] = 1.0
        >>> out = guided_filter(g, noisy, radius=2, eps=1e-4)
        >>> bool(out[5, 3] < 0.5 and out[5, 15] > 0.99)
        True
    """
    grey = cv2.cvtColor(guide, cv2.COLOR_RGB2GRAY) if guide.ndim == 3 else guide
    h, w = grey.shape
    p, r = src.astype(np.float32, copy=False), radius
    if subsample > 1:
        small = (max(1, w // subsample), max(1, h // subsample))
        i = cv2.resize(grey, small, interpolation=cv2.INTER_AREA)  # shrunk before the float copy: cheaper
        p = cv2.resize(p, small, interpolation=cv2.INTER_AREA)
        r = max(1, radius // subsample)
    else:
        i = grey
    i = i.astype(np.float32) * np.float32(1 / 255) if i.dtype == np.uint8 else i.astype(np.float32)
    mean_i, mean_p = box_mean(i, r), box_mean(p, r)
    var_i = box_mean(i * i, r) - mean_i * mean_i
    cov_ip = box_mean(i * p, r) - mean_i * mean_p
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    mean_a, mean_b = box_mean(a, r), box_mean(b, r)
    if subsample > 1:
        mean_a = cv2.resize(mean_a, (w, h), interpolation=cv2.INTER_LINEAR)
        mean_b = cv2.resize(mean_b, (w, h), interpolation=cv2.INTER_LINEAR)
    full = grey.astype(np.float32) * np.float32(1 / 255) if grey.dtype == np.uint8 else grey.astype(np.float32)
    mean_a *= full
    mean_a += mean_b
    return mean_a
