"""k-means colour clustering, clusters voted into the person by a prior."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning

from bodyseg.result import Segmentation
from bodyseg.segmenters.base import Segmenter
from bodyseg.segmenters.classical.base import ClassicalSegmenter, pixel_features
from bodyseg.segmenters.classical.priors import VOTES, PersonPrior, voted_segmentation
from bodyseg.segmenters.options import check_choice, check_float, check_int


def kmeans_labels(features: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Cluster id (0..k-1) of each feature row by k-means (k-means++ start, 3 restarts).

    Fewer distinct rows than ``k`` give fewer clusters, without a warning.

    Example:
        >>> kmeans_labels(np.array([[0.0], [0.1], [9.0], [9.1]]), k=2).tolist() in ([0, 0, 1, 1], [1, 1, 0, 0])
        True
    """
    distinct = len(np.unique(features, axis=0))
    k = max(1, min(k, distinct))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(features)
    return model.labels_.astype(np.int32)


class KMeansSegmenter(ClassicalSegmenter):
    """k-means clustering of the pixels' colours; clusters the person prior votes for are the person.

    The image is shrunk (longer side ``max_side``), each pixel's Lab colour (optionally with its
    scaled position) is clustered into ``k`` clusters, and the person is what the prior votes
    for (:func:`~.priors.voted_segmentation`): with ``vote="region"`` each connected region of a
    cluster whose mean prior is over 0.5, with ``vote="cluster"`` each such whole cluster. The
    prior is the pose skeleton with ``prior="pose"``, a centred ellipse with ``prior="centre"``
    or when nobody is found. ``prob`` is each pixel's vote (bilinear up to the input size);
    ``meta[CLUSTER_MAP]`` holds the cluster map (nearest up to the input size), cluster 0 the most
    person-like.

    Args:
        k: number of clusters.
        position_weight: 0 clusters colour only; > 0 adds (x, y) scaled so that crossing the
            image weighs ``100 * position_weight`` Lab units (SLIC-style 5-D feature: compact,
            more local clusters).
        seed: random seed of the k-means start (results are repeatable).
        vote: ``"region"`` (default; keeps same-coloured background elsewhere out) or ``"cluster"``.
        prior, max_side, fallback, pose: see :class:`~.base.ClassicalSegmenter`.

    Failure modes:
        - Clothes the colour of the background fall into a background region and are lost.
        - Background of the person's colour that touches the person joins it (one region
          crosses the outline: a white wall behind a white shirt).
        - A small ``k`` on a busy scene puts person and background colours in one cluster.

    Cost: 0.25-0.3 s with ``prior="centre"``, 0.35-0.4 s with ``prior="pose"`` (the pose model
    included) at the default 200-pixel working size (median per photo on CCP, DAVIS and COCO,
    measured by ``benchmarks/classical_quick.py`` on a shared, busy 2-core machine).

    Example:
        >>> seg = KMeansSegmenter(k=4, prior="centre").segment("photo.jpg")  # doctest: +SKIP
        >>> seg.meta[CLUSTER_MAP].max() <= 3  # doctest: +SKIP
        True
    """

    name = "kmeans"
    default_max_side = 200

    def __init__(
        self,
        k: int = 8,
        position_weight: float = 0.0,
        seed: int = 0,
        vote: str = "region",
        *,
        prior: str = "pose",
        max_side: int | None = None,
        fallback: str = "centre",
        pose: Segmenter | None = None,
    ) -> None:
        super().__init__(prior=prior, max_side=max_side, fallback=fallback, pose=pose)
        self.k = check_int("k", k, 2, 64)
        self.position_weight = check_float("position_weight", position_weight, 0.0)
        self.seed = check_int("seed", seed, 0, 2**32 - 1)
        self.vote = check_choice("vote", vote, VOTES)

    def _segment_small(self, rgb: np.ndarray, prior: PersonPrior) -> Segmentation:
        labels = kmeans_labels(pixel_features(rgb, self.position_weight), self.k, self.seed)
        return voted_segmentation(labels.reshape(rgb.shape[:2]), prior.prob, self.vote)
