"""Colour Gaussian mixtures for person and background, fitted by EM from a prior; prob = posterior."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from bodyseg.models.runtime import sigmoid
from bodyseg.result import Segmentation
from bodyseg.segmenters.base import Segmenter
from bodyseg.segmenters.classical.base import ClassicalSegmenter, empty_result, lab_pixels
from bodyseg.segmenters.classical.priors import NO_SEEDS, PersonPrior, seed_regions, softened_prior
from bodyseg.segmenters.options import check_float, check_int

#: Pixels drawn to fit each mixture.
FIT_SAMPLES = 2000
#: EM stops when the mean log-likelihood gains less than this (the pixel draws are noisier anyway).
EM_TOL = 1e-2
#: Added to the covariances' diagonals (Lab units squared): flat regions must not give singular fits.
REG_COVAR = 1.0


def weighted_sample(values: np.ndarray, weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` rows of ``values`` drawn with replacement, each with probability proportional to its weight.

    Example:
        >>> weighted_sample(np.arange(3), np.array([0.0, 1.0, 0.0]), 4, np.random.default_rng(0)).tolist()
        [1, 1, 1, 1]
    """
    p = np.clip(np.asarray(weights, np.float64), 0.0, None)
    total = p.sum()
    p = p / total if total > 0 else np.full(len(values), 1.0 / len(values))
    return values[rng.choice(len(values), size=n, p=p)]


def fit_colour_gmm(
    pixels: np.ndarray,
    components: int,
    seed: int = 0,
    start: GaussianMixture | None = None,
) -> GaussianMixture:
    """A full-covariance Gaussian mixture fitted by EM to Lab pixels.

    EM starts from ``start``'s means when given (a previous round's fit, so EM converges in a
    few steps), else from k-means (seeded). Fewer distinct colours than ``components`` give
    fewer components.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> gmm = fit_colour_gmm(rng.normal(50, 3, (500, 3)), components=2)
        >>> gmm.means_.shape
        (2, 3)
    """
    distinct = len(np.unique(pixels.round(1), axis=0))
    components = max(1, min(components, distinct))
    means = start.means_ if start is not None and len(start.means_) == components else None
    model = GaussianMixture(
        n_components=components,
        covariance_type="full",
        reg_covar=REG_COVAR,
        tol=EM_TOL,
        means_init=means,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(pixels)


def fit_colour_models(
    pixels: np.ndarray,
    person_weights: np.ndarray,
    background_weights: np.ndarray,
    components: int,
    rng: np.random.Generator,
    seed: int = 0,
    start: tuple[GaussianMixture | None, GaussianMixture | None] = (None, None),
) -> tuple[GaussianMixture, GaussianMixture]:
    """``(person, background)`` mixtures fitted to :data:`FIT_SAMPLES` pixels drawn by each weight map.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> pixels = np.vstack([rng.normal(20, 2, (300, 3)), rng.normal(80, 2, (300, 3))])
        >>> left = np.arange(600) < 300
        >>> person, background = fit_colour_models(pixels, left, ~left, 1, rng)
        >>> round(float(person.means_[0, 0])), round(float(background.means_[0, 0]))
        (20, 80)
    """
    person_pixels = weighted_sample(pixels, person_weights, FIT_SAMPLES, rng)
    background_pixels = weighted_sample(pixels, background_weights, FIT_SAMPLES, rng)
    return (
        fit_colour_gmm(person_pixels, components, seed, start[0]),
        fit_colour_gmm(background_pixels, components, seed, start[1]),
    )


def person_log_odds(
    pixels: np.ndarray,
    spatial: np.ndarray,
    person: GaussianMixture,
    background: GaussianMixture,
) -> np.ndarray:
    """Per-pixel ``log P(person | colour, place) / P(background | colour, place)``.

    ``spatial`` is the prior ``P(person | place)``: the log odds are
    ``log(spatial / (1 - spatial)) + log p(c | person) - log p(c | background)``.

    Example:
        >>> a = fit_colour_gmm(np.random.default_rng(0).normal(20, 2, (300, 3)), 1)
        >>> b = fit_colour_gmm(np.random.default_rng(1).normal(80, 2, (300, 3)), 1)
        >>> odds = person_log_odds(np.array([[20.0, 20, 20], [80, 80, 80]]), np.full(2, 0.5), a, b)
        >>> bool(odds[0] > 10), bool(odds[1] < -10)
        (True, True)
    """
    spatial = np.clip(spatial, 1e-6, 1 - 1e-6)
    return np.log(spatial) - np.log1p(-spatial) + person.score_samples(pixels) - background.score_samples(pixels)


class GMMSegmenter(ClassicalSegmenter):
    """Colour Gaussian mixtures for person and background; ``prob`` is each pixel's posterior.

    Runs on a down-sampled image (longer side ``max_side``). The person mixture is first fitted
    (EM, sklearn ``GaussianMixture``, full covariances in Lab) to the prior's sure-person pixels
    (the skeleton's bones, torso and head; the centre of the centre prior), the background
    mixture to its likely-background pixels (beyond one limb width of the skeleton; outside the
    centre prior's half-height ellipse), see :func:`~.priors.seed_regions`. Each pixel's
    posterior combines its colour likelihoods with the prior itself (softened to
    ``0.5 + spatial_weight * (prior - 0.5)``); the mixtures are then refitted to pixels drawn in
    proportion to the posterior (person) and one minus it (background), ``iterations`` rounds
    in all. ``prob`` is the last posterior, bilinear up to the
    input size.

    Args:
        components: Gaussians per mixture.
        iterations: rounds of fitting both mixtures and recomputing the posterior (1 = fit once
            from the prior).
        spatial_weight: 0 decides by colour alone, 1 multiplies by the prior itself (nothing far
            from the skeleton can be person).
        seed: seed of the pixel draws and the mixtures' starts (results are repeatable).
        prior, max_side, fallback, pose: see :class:`~.base.ClassicalSegmenter`.

    Failure modes:
        - Person and background of the same colours leave the posterior at the spatial prior.
        - Thin or small people give the person mixture few pixels, mixed with background.
        - Parts of the person far from the skeleton (wide skirts, long hair) are cut off when
          ``spatial_weight`` is near 1.

    Cost: 0.35-0.45 s with ``prior="centre"``, 0.45-0.6 s with ``prior="pose"`` (the pose model
    included) at the default 240-pixel working size (median per photo on CCP, DAVIS and COCO,
    measured by ``benchmarks/classical_quick.py`` on a shared, busy 2-core machine).

    Example:
        >>> seg = GMMSegmenter(components=4, iterations=3).segment("photo.jpg")  # doctest: +SKIP
    """

    name = "gmm"
    default_max_side = 240

    def __init__(
        self,
        components: int = 5,
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
        self.components = check_int("components", components, 1, 20)
        self.iterations = check_int("iterations", iterations, 1, 20)
        self.spatial_weight = check_float("spatial_weight", spatial_weight, 0.0, 1.0)
        self.seed = check_int("seed", seed, 0, 2**32 - 1)

    def _segment_small(self, rgb: np.ndarray, prior: PersonPrior) -> Segmentation:
        pixels = lab_pixels(rgb).reshape(-1, 3).astype(np.float64)
        person_seed, likely_background, _ = seed_regions(prior)
        if not person_seed.any() or not likely_background.any():
            return empty_result(rgb.shape[:2], NO_SEEDS)
        spatial = softened_prior(prior.prob.ravel(), self.spatial_weight)
        rng = np.random.default_rng(self.seed)
        weights = (person_seed.ravel(), likely_background.ravel())
        models: tuple[GaussianMixture | None, GaussianMixture | None] = (None, None)
        for _ in range(self.iterations):
            models = fit_colour_models(pixels, *weights, self.components, rng, self.seed, start=models)
            posterior = sigmoid(person_log_odds(pixels, spatial, *models))
            weights = (posterior, 1.0 - posterior)
        meta = {"components": self.components, "iterations": self.iterations}
        return Segmentation(prob=posterior.reshape(rgb.shape[:2]), meta=meta)
