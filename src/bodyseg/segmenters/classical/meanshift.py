"""Mean-shift colour clustering (modes of the colour density), clusters voted in by a prior."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import estimate_bandwidth, get_bin_seeds

from bodyseg.result import Segmentation
from bodyseg.segmenters.base import Segmenter
from bodyseg.segmenters.classical.base import ClassicalSegmenter, pixel_features
from bodyseg.segmenters.classical.priors import VOTES, PersonPrior, voted_segmentation
from bodyseg.segmenters.options import check_choice, check_float, check_int

#: Pixels the mode search (and the bandwidth estimate) runs on.
MODE_SAMPLES = 3000
BANDWIDTH_SAMPLES = 500
#: A seed bin must hold at least 1/SEED_BIN_FRACTION of the sample (fewer, stronger seeds).
SEED_BIN_FRACTION = 300
#: Bandwidths are never smaller than this many Lab units (a near-flat image has a tiny estimate).
MIN_BANDWIDTH = 2.0


def estimated_bandwidth(features: np.ndarray, quantile: float = 0.1, seed: int = 0) -> float:
    """Mean-shift bandwidth from a sample: sklearn's ``estimate_bandwidth`` on 500 rows.

    It is the mean distance of each sampled row to its ``quantile`` nearest neighbours, floored
    at :data:`MIN_BANDWIDTH`.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = np.vstack([rng.normal(0, 1, (200, 3)), rng.normal(50, 1, (200, 3))])
        >>> 2.0 <= estimated_bandwidth(x) < 10.0
        True
    """
    n = min(len(features), BANDWIDTH_SAMPLES)
    sample = features[np.random.default_rng(seed).choice(len(features), n, replace=False)]
    return max(MIN_BANDWIDTH, float(estimate_bandwidth(sample, quantile=quantile, random_state=seed)))


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """len(a) x len(b) float64 matrix of squared Euclidean distances between rows.

    Example:
        >>> squared_distances(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 1.0]])).tolist()
        [[25.0, 1.0]]
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d2, 0.0)


def mean_shift_modes(points: np.ndarray, bandwidth: float, min_bin_freq: int = 1, max_iter: int = 100) -> np.ndarray:
    """Modes of the density of ``points`` by flat-kernel mean-shift, strongest first.

    The algorithm of sklearn's ``MeanShift(bin_seeding=True)``: seeds on a grid of ``bandwidth``
    cells holding at least ``min_bin_freq`` points, each moved to the mean of the points within
    ``bandwidth`` until it stops, then modes closer than ``bandwidth`` to a stronger one dropped.
    All seeds move at once (numpy): sklearn's per-seed loop took ~5 s on a 160-pixel photo here.

    Example:
        >>> x = np.array([[0.0], [0.5], [1.0], [10.0], [10.5]])
        >>> mean_shift_modes(x, bandwidth=2.0).round(2).tolist()
        [[0.5], [10.25]]
    """
    points = np.asarray(points, np.float64)
    modes = get_bin_seeds(points, bandwidth, min_bin_freq=min_bin_freq)
    if len(modes) == 0:
        modes = points[:1].copy()
    radius2 = bandwidth * bandwidth
    for _ in range(max_iter):
        near = squared_distances(modes, points) <= radius2
        counts = near.sum(axis=1)
        keep = counts > 0
        modes, near, counts = modes[keep], near[keep], counts[keep]
        moved = (near @ points) / counts[:, None]
        shift = np.abs(moved - modes).max()
        modes = moved
        if shift < 1e-3 * bandwidth:
            break
    strength = (squared_distances(modes, points) <= radius2).sum(axis=1)
    modes = modes[np.argsort(-strength, kind="stable")]
    kept: list[np.ndarray] = []
    for mode in modes:
        if all(((mode - other) ** 2).sum() >= radius2 for other in kept):
            kept.append(mode)
    return np.array(kept)


def meanshift_labels(features: np.ndarray, bandwidth: float, seed: int = 0) -> np.ndarray:
    """Cluster id of each feature row: modes found by mean-shift on a sample, then the nearest mode.

    The mode search (:func:`mean_shift_modes`) runs on :data:`MODE_SAMPLES` random rows; every
    row then takes its nearest mode, so cluster 0 is the strongest mode.

    Example:
        >>> x = np.array([[0.0], [0.5], [1.0], [10.0], [10.5]])
        >>> meanshift_labels(x, bandwidth=2.0).tolist()
        [0, 0, 0, 1, 1]
    """
    n = min(len(features), MODE_SAMPLES)
    sample = features[np.random.default_rng(seed).choice(len(features), n, replace=False)]
    modes = mean_shift_modes(sample, bandwidth, min_bin_freq=max(1, n // SEED_BIN_FRACTION))
    return np.argmin(squared_distances(features, modes), axis=1).astype(np.int32)


class MeanShiftSegmenter(ClassicalSegmenter):
    """Mean-shift clustering of the pixels' colours; clusters the person prior votes for are the person.

    Runs on a down-sampled image (longer side ``max_side``, no superpixels): the modes of the Lab
    colour density (optionally with position) are found by flat-kernel mean-shift
    (:func:`mean_shift_modes`) on a random sample of 3000 of its pixels, each pixel joins its
    nearest mode, and connected regions of a cluster
    are voted in by the person prior (``vote``, as for ``kmeans``). ``prob`` is each pixel's
    vote, ``meta[CLUSTER_MAP]`` the mode map (cluster 0 the most person-like).

    Args:
        bandwidth: kernel radius in Lab units (distance between colours; L runs 0..100); None
            estimates it per image (sklearn ``estimate_bandwidth`` on 500 pixels, ``quantile``).
        quantile: the estimate's neighbour fraction: larger gives a wider kernel, fewer clusters.
        position_weight: as for ``kmeans``: > 0 adds scaled (x, y) to the colour.
        vote: ``"region"`` or ``"cluster"``, see :func:`~.priors.voted_segmentation`.
        seed: seed of the pixel samples (results are repeatable).
        prior, max_side, fallback, pose: see :class:`~.base.ClassicalSegmenter`.

    Failure modes:
        - A bandwidth too wide for the image merges person and background into one mode.
        - A bandwidth too narrow splits the person into many small modes and speckles the mask.
        - Clothes the colour of the background are lost, as with every colour clustering.

    Cost: 0.16 s with ``prior="centre"``, 0.28 s with ``prior="pose"`` (the pose model included) at
    the default 160-pixel working size (median per photo on CCP, DAVIS and COCO, measured by
    ``benchmarks/classical_quick.py`` on a shared, busy 2-core machine); the mode search dominates.

    Example:
        >>> seg = MeanShiftSegmenter(bandwidth=8.0, prior="centre").segment("photo.jpg")  # doctest: +SKIP
    """

    name = "meanshift"
    default_max_side = 160

    def __init__(
        self,
        bandwidth: float | None = None,
        quantile: float = 0.05,
        position_weight: float = 0.0,
        vote: str = "region",
        seed: int = 0,
        *,
        prior: str = "pose",
        max_side: int | None = None,
        fallback: str = "centre",
        pose: Segmenter | None = None,
    ) -> None:
        super().__init__(prior=prior, max_side=max_side, fallback=fallback, pose=pose)
        self.bandwidth = None if bandwidth is None else check_float("bandwidth", bandwidth, 0.0, open_low=True)
        self.quantile = check_float("quantile", quantile, 0.0, 1.0, open_low=True)
        self.position_weight = check_float("position_weight", position_weight, 0.0)
        self.vote = check_choice("vote", vote, VOTES)
        self.seed = check_int("seed", seed, 0, 2**32 - 1)

    def _segment_small(self, rgb: np.ndarray, prior: PersonPrior) -> Segmentation:
        features = pixel_features(rgb, self.position_weight)
        bandwidth = self.bandwidth or estimated_bandwidth(features, self.quantile, self.seed)
        labels = meanshift_labels(features, bandwidth, self.seed)
        result = voted_segmentation(labels.reshape(rgb.shape[:2]), prior.prob, self.vote)
        result.meta["bandwidth"] = bandwidth
        return result
