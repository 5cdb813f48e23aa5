"""Where the person probably is, before looking at colours: the priors the classical methods share.

Two priors, chosen by the methods' ``prior`` option:

- ``"pose"``: the skeleton of the person the pose model finds (:func:`bodyseg.pose.skeleton_prior`,
  Gaussian limbs around 33 keypoints);
- ``"centre"``: :func:`centre_prior`, a centred Gaussian ellipse shaped like a standing person
  (40% of the width, 90% of the height at its half-height contour), for when there are no keypoints.

Example:
    >>> prior = person_prior((120, 80))
    >>> prior.source, prior.prob.shape, round(float(prior.prob[60, 40]), 2)
    ('centre', (120, 80), 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from bodyseg.pose.skeleton import default_limb_width, gaussian_limbs, person_box_from_keypoints, skeleton_distance
from bodyseg.result import CLUSTER_MAP, Segmentation
from bodyseg.segmenters.options import check_choice

#: The values of the classical methods' ``prior`` option.
PRIORS: tuple[str, ...] = ("pose", "centre")

#: Size of the centre prior's half-height ellipse, as fractions of the image's width and height.
CENTRE_WIDTH = 0.4
CENTRE_HEIGHT = 0.9

#: The centre box keeps this fraction of the width / height free on each side.
CENTRE_BOX_MARGIN_X = 0.15
CENTRE_BOX_MARGIN_Y = 0.02

#: The values of the clustering methods' ``vote`` option.
VOTES: tuple[str, ...] = ("region", "cluster")

#: Seed bands per prior source, in :meth:`PersonPrior.band` units ``(person, likely background,
#: background)``: pixels in the first band surely are person, pixels outside the second are
#: likely background (colour models start from these), outside the third surely background. For
#: the pose prior these are limb widths from the skeleton (0: the skeleton drawing itself: bones,
#: torso, head); for the centre prior, elliptical radii (1 is the half-height ellipse).
SEED_BANDS: dict[str, tuple[float, float, float]] = {"pose": (0.0, 1.0, 2.5), "centre": (0.35, 1.0, 1.6)}

#: Recorded when the seeds leave one side without pixels to learn its colours from.
NO_SEEDS = "the prior leaves no person or no background pixels to learn colours from; the mask is empty"

#: Margin of the box around the keypoints, as a fraction of their box's longer side.
KEYPOINT_BOX_MARGIN = 0.12


def centre_prior(shape: tuple[int, int], width: float = CENTRE_WIDTH, height: float = CENTRE_HEIGHT) -> np.ndarray:
    """HxW float32 centred Gaussian ellipse: 1 at the centre, 0.5 on an ellipse of the given size.

    The value is ``2 ** -r**2`` where ``r`` is the elliptical radius scaled so that ``r = 1`` on
    the ellipse ``width * W`` wide and ``height * H`` tall.

    Example:
        >>> p = centre_prior((100, 100), width=0.5, height=0.5)
        >>> round(float(p[50, 50]), 2), round(float(p[50, 74]), 1), round(float(p[25, 50]), 1)
        (1.0, 0.5, 0.5)
    """
    h, w = shape
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    rx = (xx + 0.5 - w / 2.0) / (width * w / 2.0)
    ry = (yy + 0.5 - h / 2.0) / (height * h / 2.0)
    return np.exp2(-(rx * rx + ry * ry)).astype(np.float32)


def centre_box(shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: the image without :data:`CENTRE_BOX_MARGIN_X` / ``_Y`` on each side.

    Example:
        >>> centre_box((100, 200))
        (30, 2, 170, 98)
    """
    h, w = shape
    mx, my = round(CENTRE_BOX_MARGIN_X * w), round(CENTRE_BOX_MARGIN_Y * h)
    return (mx, my, w - mx, h - my)


@dataclass
class PersonPrior:
    """A person prior on one (working-resolution) image.

    Attributes:
        prob: HxW float32 in [0, 1], how likely each pixel is person before colour is looked at.
        source: ``"pose"`` (skeleton of the keypoints) or ``"centre"`` (centred ellipse).
        keypoints: the 33x3 keypoints at this resolution when ``source == "pose"``, else None.
        limb_width: limb width in pixels the skeleton prior was drawn with, else None.
        distance: HxW float32 distance to the skeleton in pixels when ``source == "pose"``, else None.
        box: ``(x0, y0, x1, y1)`` where the person is expected (keypoint box or centre box).
        scale: the working image's size over the input's (to bring input coordinates here).
    """

    prob: np.ndarray
    source: str
    keypoints: np.ndarray | None = None
    limb_width: float | None = None
    distance: np.ndarray | None = None
    box: tuple[int, int, int, int] = (0, 0, 0, 0)
    scale: float = 1.0

    def band(self, widths: float) -> np.ndarray:
        """HxW bool: within ``widths`` limb widths of the skeleton (pose), or ``prior >= 2**-widths**2``.

        For the centre prior the band is the ellipse of elliptical radius ``widths`` (1 is the
        half-height ellipse). A small ``widths`` gives the surest person pixels, a large one the
        region outside which the background surely is.

        Example:
            >>> bool(person_prior((100, 100)).band(1.0)[50, 50])
            True
        """
        if self.distance is not None and self.limb_width is not None:
            return self.distance <= widths * self.limb_width
        return self.prob >= np.exp2(-widths * widths)


def seed_regions(prior: PersonPrior) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(person, likely_background, background)`` HxW bool seed maps from :data:`SEED_BANDS`.

    Example:
        >>> person, likely, background = seed_regions(person_prior((100, 100)))
        >>> bool(person[50, 50]), bool(likely[50, 10]), bool(background[50, 10]), bool(background[50, 25])
        (True, True, True, False)
    """
    inner, middle, outer = SEED_BANDS[prior.source]
    person = prior.band(inner)
    return person, ~prior.band(middle) & ~person, ~prior.band(outer) & ~person


def person_prior(shape: tuple[int, int], keypoints: np.ndarray | None = None, scale: float = 1.0) -> PersonPrior:
    """The skeleton prior of ``keypoints`` on an image of ``shape``, or the centre prior without them.

    ``scale`` (working size over input size) is only recorded; ``keypoints`` are already scaled.

    Example:
        >>> person_prior((40, 30)).box
        (4, 1, 26, 39)
    """
    if keypoints is None:
        return PersonPrior(prob=centre_prior(shape), source="centre", box=centre_box(shape), scale=scale)
    limb_width = default_limb_width(keypoints)
    distance = skeleton_distance(keypoints, shape)
    prob = gaussian_limbs(distance, limb_width)
    box = person_box_from_keypoints(keypoints, shape, margin=KEYPOINT_BOX_MARGIN)
    return PersonPrior(
        prob=prob, source="pose", keypoints=keypoints, limb_width=limb_width, distance=distance, box=box, scale=scale
    )


def cluster_votes(labels: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Mean prior of each cluster: ``votes[c]`` is the average of ``prior`` over ``labels == c``.

    The classical clustering methods call a cluster person when its vote is over 0.5: most of its
    prior mass says person. Empty cluster ids get 0.

    Example:
        >>> cluster_votes(np.array([[0, 0, 1]]), np.array([[1.0, 0.5, 0.0]])).tolist()
        [0.75, 0.0]
    """
    flat = labels.ravel()
    count = np.bincount(flat)
    total = np.bincount(flat, weights=prior.ravel().astype(np.float64), minlength=len(count))
    return np.divide(total, count, out=np.zeros(len(count)), where=count > 0)


def order_by_votes(labels: np.ndarray, votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, votes)`` renumbered so cluster 0 has the highest vote, then 1, ...

    Example:
        >>> order_by_votes(np.array([0, 1, 1]), np.array([0.2, 0.9]))[0].tolist()
        [1, 0, 0]
    """
    order = np.argsort(-votes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[labels].astype(np.int32), votes[order]


def region_votes(labels: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """HxW float: each pixel's vote is the mean prior of its region (4-connected run of one label).

    Voting by region rather than by whole cluster keeps a patch of background that shares the
    person's colours, but not their place, out of the person.

    Example:
        >>> region_votes(np.array([[0, 1, 0]]), np.array([[1.0, 0.0, 0.0]])).tolist()
        [[1.0, 0.0, 0.0]]
    """
    regions = connected_regions(labels)
    return cluster_votes(regions, prior)[regions]


def connected_regions(labels: np.ndarray) -> np.ndarray:
    """HxW ids 0..N-1 of the 4-connected regions of equal label.

    Example:
        >>> connected_regions(np.array([[0, 1, 0], [0, 1, 1]])).tolist()
        [[0, 2, 1], [0, 2, 2]]
    """
    regions = np.zeros(labels.shape, np.int32)
    count = 0
    for value in np.unique(labels):
        found, ids = cv2.connectedComponents((labels == value).astype(np.uint8), connectivity=4)
        inside = ids > 0
        regions[inside] = ids[inside] - 1 + count
        count += found - 1
    return regions


def voted_segmentation(labels: np.ndarray, prior: np.ndarray, vote: str = "region") -> Segmentation:
    """A clustering's result: the cluster map (ordered by vote) and ``prob`` = the votes.

    Args:
        labels: HxW int cluster ids.
        prior: HxW person prior of the same size.
        vote: ``"region"``: each connected region of a cluster is person when its mean prior is
            over 0.5 (:func:`region_votes`); ``"cluster"``: a whole cluster is (:func:`cluster_votes`).

    Example:
        >>> seg = voted_segmentation(np.array([[0, 1, 0]]), np.array([[1.0, 0.0, 0.0]]))
        >>> seg.mask().tolist(), seg.meta[CLUSTER_MAP].tolist()
        ([[True, False, False]], [[0, 1, 0]])
    """
    labels, votes = order_by_votes(labels, cluster_votes(labels, prior))
    prob = region_votes(labels, prior) if check_choice("vote", vote, VOTES) == "region" else votes[labels]
    return Segmentation(prob=prob.astype(np.float32), meta={CLUSTER_MAP: labels, "clusters": int(labels.max()) + 1})


def softened_prior(prior: np.ndarray, weight: float) -> np.ndarray:
    """``0.5 + weight * (prior - 0.5)``, clipped to [1e-6, 1 - 1e-6]: the prior pulled towards 0.5.

    ``weight`` 1 keeps the prior, 0 makes it uninformative (every place equally likely).

    Example:
        >>> softened_prior(np.array([0.0, 1.0]), 0.8).round(2).tolist()
        [0.1, 0.9]
    """
    return np.clip(0.5 + weight * (np.asarray(prior, np.float64) - 0.5), 1e-6, 1.0 - 1e-6)
