"""Edge refinement of a probability map on its image: the one entry point to the filters.

Example:
    >>> EDGE_REFINERS
    ('guided', 'crf', 'none')
"""

from __future__ import annotations

import numpy as np

from bodyseg.refine.crf import dense_crf
from bodyseg.refine.guided import guided_filter

#: Edge refinements of a probability map (a method's ``edges=`` option).
EDGE_REFINERS = ("guided", "crf", "none")


def refine_edges(rgb: np.ndarray, prob: np.ndarray, method: str = "guided") -> np.ndarray:
    """A probability's edges refined on its image: guided filter at full resolution (radius scaled
    with the image), dense CRF (needs pydensecrf2), or unchanged (``method`` of :data:`EDGE_REFINERS`).

    Example:
        >>> rgb = np.zeros((40, 40, 3), np.uint8); rgb[:, 20:] = 255  # the image's edge at x = 20
        >>> prob = np.zeros((40, 40), np.float32); prob[:, 22:] = 1.0  # a mask 2 px short of it
        >>> sharp = refine_edges(rgb, prob)
        >>> bool(sharp[20, 21] > 0.3 and sharp[20, 15] == 0.0), refine_edges(rgb, prob, "none") is prob
        (True, True)
    """
    if method == "none":
        return prob
    if method == "crf":
        return dense_crf(rgb, prob)
    radius = max(2, int(round(np.hypot(*prob.shape) / 250)))
    subsample = max(1, min(4, radius // 2))
    return np.clip(guided_filter(rgb, prob, radius=radius, eps=2e-3, subsample=subsample), 0.0, 1.0)
