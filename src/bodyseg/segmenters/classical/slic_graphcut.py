"""SLIC superpixels, colour GMMs from skeleton seeds, and a min-cut over the superpixel graph."""

from __future__ import annotations

import numpy as np
from skimage.segmentation import slic

from bodyseg.errors import MethodError
from bodyseg.result import Segmentation
from bodyseg.segmenters.base import Segmenter
from bodyseg.segmenters.classical.base import ClassicalSegmenter, empty_result, lab_pixels
from bodyseg.segmenters.classical.gmm import fit_colour_models, person_log_odds
from bodyseg.segmenters.classical.priors import NO_SEEDS, PersonPrior, seed_regions, softened_prior
from bodyseg.segmenters.options import check_float, check_int

#: Capacity standing for "infinite" on seed superpixels' terminal edges.
HARD = 1e9


def superpixels(rgb: np.ndarray, segments: int, compactness: float) -> np.ndarray:
    """HxW int32 SLIC superpixel ids 0..n-1 (skimage ``slic`` in Lab), consecutive.

    Example:
        >>> rgb = np.zeros((40, 40, 3), np.uint8); rgb[:, 20:] = 255
        >>> int(superpixels(rgb, 4, 10.0).max()) >= 1
        True
    """
    labels = slic(rgb, n_segments=segments, compactness=compactness, start_label=0, convert2lab=True)
    _, consecutive = np.unique(labels, return_inverse=True)
    return consecutive.reshape(labels.shape).astype(np.int32)


def superpixel_edges(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(i, j, length)``: each pair of 4-adjacent superpixels (i < j) and how many pixel pairs
    their shared boundary has.

    Example:
        >>> i, j, n = superpixel_edges(np.array([[0, 0, 1], [2, 2, 1]]))
        >>> list(zip(i.tolist(), j.tolist(), n.tolist()))
        [(0, 1, 1), (0, 2, 2), (1, 2, 1)]
    """
    a = np.concatenate([labels[:, :-1].ravel(), labels[:-1, :].ravel()]).astype(np.int64)
    b = np.concatenate([labels[:, 1:].ravel(), labels[1:, :].ravel()]).astype(np.int64)
    differ = a != b
    low, high = np.minimum(a[differ], b[differ]), np.maximum(a[differ], b[differ])
    n = int(labels.max()) + 1
    pairs, length = np.unique(low * n + high, return_counts=True)
    return pairs // n, pairs % n, length


def contrast_weights(means: np.ndarray, i: np.ndarray, j: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Contrast-sensitive pairwise weights ``length * exp(-beta * |mean_i - mean_j|**2)``.

    ``beta = 1 / (2 * mean |mean_i - mean_j|**2)`` over all edges, as in GrabCut, so cutting
    between superpixels of very different colour is cheap and between similar ones dear.

    Example:
        >>> w = contrast_weights(np.array([[0.0], [1.0], [10.0]]), np.array([0, 1]), np.array([1, 2]), np.array([1, 1]))
        >>> bool(w[0] > w[1])
        True
    """
    d2 = ((means[i] - means[j]) ** 2).sum(axis=1)
    beta = 1.0 / (2.0 * max(float(d2.mean()) if len(d2) else 0.0, 1e-6))
    return length * np.exp(-beta * d2)


def graph_cut(
    person_cost: np.ndarray,
    background_cost: np.ndarray,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Bool per node: person where the min-cut (PyMaxflow) puts it on the source side.

    ``person_cost[k]`` is paid when node ``k`` is person, ``background_cost[k]`` when it is
    background, ``edges = (i, j, w)`` is paid for each edge cut.

    Example:
        >>> e = (np.array([0]), np.array([1]), np.array([5.0]))
        >>> graph_cut(np.array([0.0, 2.0]), np.array([9.0, 1.0]), e).tolist()
        [True, True]
    """
    import_maxflow = _maxflow()
    graph = import_maxflow.Graph[float]()
    nodes = graph.add_nodes(len(person_cost))
    i, j, w = edges
    if len(i):
        graph.add_edges(nodes[i], nodes[j], w.astype(np.float64), w.astype(np.float64))
    graph.add_grid_tedges(nodes, background_cost.astype(np.float64), person_cost.astype(np.float64))
    graph.maxflow()
    return ~graph.get_grid_segments(nodes)


def _maxflow():  # type: ignore[no-untyped-def]
    try:
        import maxflow
    except ImportError:
        raise MethodError("slic-graphcut needs PyMaxflow for the min-cut; run: pip install PyMaxflow") from None
    return maxflow


def superpixels_touching(labels: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Bool per superpixel: True when any of its pixels is in the bool map ``region``.

    Example:
        >>> superpixels_touching(np.array([[0, 1, 2]]), np.array([[False, True, False]])).tolist()
        [False, True, False]
    """
    n = int(labels.max()) + 1
    return np.bincount(labels.ravel(), weights=region.ravel(), minlength=n) > 0


def seed_superpixels(labels: np.ndarray, prior: PersonPrior) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(person, background, likely_background)`` bool per superpixel, from the prior's seeds.

    ``person``: touching the person seeds of :func:`~.priors.seed_regions` (for the pose prior:
    crossed by the skeleton); ``background``: entirely inside the background seeds;
    ``likely_background``: entirely inside the likely background (the first background colour
    model learns from these). Person wins where they overlap.

    Example:
        >>> from bodyseg.segmenters.classical.priors import person_prior
        >>> labels = np.repeat(np.arange(10), 10)[None, :].repeat(100, axis=0)
        >>> person, background, likely = seed_superpixels(labels, person_prior((100, 100)))
        >>> person.nonzero()[0].tolist(), background.nonzero()[0].tolist(), likely.nonzero()[0].tolist()
        ([4, 5], [0, 9], [0, 1, 2, 7, 8, 9])
    """
    person_seed, likely_seed, background_seed = seed_regions(prior)
    person = superpixels_touching(labels, person_seed)
    likely_background = ~superpixels_touching(labels, ~likely_seed) & ~person
    background = ~superpixels_touching(labels, ~background_seed) & ~person
    return person, background, likely_background


class SlicGraphCutSegmenter(ClassicalSegmenter):
    """SLIC superpixels + colour GMMs + min-cut/max-flow (PyMaxflow) on the superpixel graph.

    On a down-sampled image (longer side ``max_side``): SLIC superpixels (skimage, Lab);
    person seeds are the superpixels crossed by the pose skeleton (bones, torso, head), background
    seeds those entirely outside a band 2.5 limb widths around it (with ``prior="centre"``: touching
    a small central ellipse / outside an ellipse 1.6 times the centre prior's); person and
    background colour GMMs are fitted by EM (sklearn ``GaussianMixture``) to the seeds' pixels;
    each superpixel's data cost is the sum of its pixels' negative log-likelihoods, seeds are
    fixed, neighbours are tied by contrast-sensitive weights (boundary length times
    ``exp(-beta |colour difference|^2)``, GrabCut's beta); the min-cut (PyMaxflow) labels every
    superpixel; the GMMs are refitted to the cut and the cut repeated ``iterations`` times.
    ``prob`` is the cut (0/1 per superpixel), bilinear up to the input size.

    Args:
        segments: about how many superpixels (SLIC ``n_segments``).
        compactness: SLIC compactness (higher: squarer superpixels, lower: closer to edges).
        components: Gaussians per colour mixture.
        smoothness: weight of the pairwise term against the data term.
        iterations: rounds of fitting the GMMs and cutting.
        prior, max_side, fallback, pose: see :class:`~.base.ClassicalSegmenter`.

    Failure modes:
        - Superpixels that straddle the person's outline put both sides under one label.
        - Wrong keypoints fix every background superpixel a misplaced limb crosses as person.
        - Background of the person's colours close to the skeleton joins the person.

    Cost: 0.6-0.85 s with ``prior="centre"``, 0.75-0.95 s with ``prior="pose"`` (the pose model
    included) at the default 320-pixel working size (median per photo on CCP, DAVIS and COCO,
    measured by ``benchmarks/classical_quick.py`` on a shared, busy 2-core machine); SLIC and the
    colour likelihoods dominate, the min-cut itself takes about a millisecond.

    Example:
        >>> seg = SlicGraphCutSegmenter(segments=600).segment("photo.jpg")  # doctest: +SKIP
    """

    name = "slic-graphcut"
    default_max_side = 320

    def __init__(
        self,
        segments: int = 400,
        compactness: float = 10.0,
        components: int = 5,
        smoothness: float = 5.0,
        iterations: int = 2,
        spatial_weight: float = 1.0,
        seed: int = 0,
        *,
        prior: str = "pose",
        max_side: int | None = None,
        fallback: str = "centre",
        pose: Segmenter | None = None,
    ) -> None:
        super().__init__(prior=prior, max_side=max_side, fallback=fallback, pose=pose)
        self.segments = check_int("segments", segments, 10, 10000)
        self.compactness = check_float("compactness", compactness, 0.0, open_low=True)
        self.components = check_int("components", components, 1, 20)
        self.smoothness = check_float("smoothness", smoothness, 0.0)
        self.iterations = check_int("iterations", iterations, 1, 20)
        self.spatial_weight = check_float("spatial_weight", spatial_weight, 0.0, 1.0)
        self.seed = check_int("seed", seed, 0, 2**32 - 1)
        _maxflow()  # fail at creation, with the fix, when PyMaxflow is missing

    def _segment_small(self, rgb: np.ndarray, prior: PersonPrior) -> Segmentation:
        labels = superpixels(rgb, self.segments, self.compactness)
        n = int(labels.max()) + 1
        flat = labels.ravel()
        pixels = lab_pixels(rgb).reshape(-1, 3).astype(np.float64)
        size = np.bincount(flat, minlength=n).astype(np.float64)
        sums = np.stack([np.bincount(flat, weights=pixels[:, c], minlength=n) for c in range(3)], axis=1)
        means = sums / size[:, None]
        edges = superpixel_edges(labels)
        i, j, length = edges
        pairwise = (i, j, self.smoothness * contrast_weights(means, i, j, length))
        person_seed, background_seed, likely_background = seed_superpixels(labels, prior)
        if not person_seed.any() or not likely_background.any():
            return empty_result(labels.shape, NO_SEEDS)
        spatial = softened_prior(prior.prob.ravel(), self.spatial_weight)
        rng = np.random.default_rng(self.seed)
        person, background = person_seed, likely_background
        for _ in range(self.iterations):
            models = fit_colour_models(pixels, person[flat], background[flat], self.components, rng, self.seed)
            # Each superpixel's data term: its pixels' summed log odds (only the difference of
            # the two terminal costs matters to the cut, so each side pays the other's deficit).
            odds = np.bincount(flat, weights=person_log_odds(pixels, spatial, *models), minlength=n)
            person_cost, background_cost = np.maximum(-odds, 0.0), np.maximum(odds, 0.0)
            person_cost[person_seed], background_cost[person_seed] = 0.0, HARD
            person_cost[background_seed], background_cost[background_seed] = HARD, 0.0
            person = graph_cut(person_cost, background_cost, pairwise)
            background = ~person
        return Segmentation(prob=person[labels].astype(np.float32), meta={"superpixels": n})
