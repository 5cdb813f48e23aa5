"""The five classical methods: a synthetic figure, real photos, bad input, options."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from bodyseg.datasets import open_dataset
from bodyseg.errors import InputError, MethodError
from bodyseg.io import read_image
from bodyseg.metrics import iou
from bodyseg.result import CLUSTER_MAP
from bodyseg.segmenters import Segmenter, available, create
from bodyseg.segmenters.mediapipe import PoseSegmenter
from tests.conftest import dataset_path

METHODS = ("kmeans", "meanshift", "grabcut", "slic-graphcut", "gmm")

#: Mean IoU floors on every 20th CCP val image (10 photos) with the pose prior: about 0.05 below
#: what was measured when the test was written (in the comments), room for another pose model
#: build or BLAS to move a few pixels, not for a real regression.
CCP_VAL_FLOORS = {
    "kmeans": 0.74,  # measured 0.787
    "meanshift": 0.74,  # measured 0.784
    "grabcut": 0.83,  # measured 0.875
    "slic-graphcut": 0.78,  # measured 0.830
    "gmm": 0.80,  # measured 0.847
}


@pytest.fixture(scope="module")
def pose() -> Iterator[Segmenter]:
    """One pose model shared by every method of this module."""
    with PoseSegmenter() as model:
        yield model


@pytest.fixture(scope="module")
def ccp_val_photos() -> list[tuple[np.ndarray, np.ndarray]]:
    """Every 20th CCP val photo with its mask (10 photos); skipped without the data sets."""
    dataset = open_dataset("ccp-val", root=dataset_path(), every=20)
    return [(sample.load_image(), sample.mask) for sample in dataset]


def test_every_method_is_registered() -> None:
    assert set(METHODS) <= set(available())


@pytest.mark.parametrize("method", METHODS)
def test_synthetic_figure_with_the_centre_prior(method: str, figure_image: tuple[np.ndarray, np.ndarray]) -> None:
    rgb, truth = figure_image
    with create(method, prior="centre") as segmenter:
        seg = segmenter.segment(rgb)
    assert seg.prob.dtype == np.float32 and seg.prob.shape == truth.shape
    assert 0.0 <= seg.prob.min() and seg.prob.max() <= 1.0
    assert iou(seg.mask(), truth) >= 0.95
    assert seg.meta["method"] == method and seg.meta["prior"] == "centre"
    assert seg.warnings == [] and seg.people == []


@pytest.mark.parametrize("method", METHODS)
def test_no_keypoints_on_a_figure_falls_back_to_the_centre_prior(
    method: str, figure_image: tuple[np.ndarray, np.ndarray], pose: Segmenter
) -> None:
    rgb, truth = figure_image
    seg = create(method, pose=pose).segment(rgb)
    assert any("no person detected" in w and "centre prior" in w for w in seg.warnings)
    assert seg.meta["prior"] == "centre"
    assert iou(seg.mask(), truth) >= 0.95


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_ccp_val_photos_with_the_pose_prior(
    method: str, ccp_val_photos: list[tuple[np.ndarray, np.ndarray]], pose: Segmenter
) -> None:
    segmenter = create(method, pose=pose)
    scores = []
    for rgb, truth in ccp_val_photos:
        seg = segmenter.segment(rgb)
        assert seg.prob.shape == truth.shape and seg.prob.dtype == np.float32
        assert len(seg.people) == 1 and seg.people[0].keypoints.shape == (33, 3)
        scores.append(iou(seg.mask(), truth))
    assert np.mean(scores) >= CCP_VAL_FLOORS[method]


@pytest.mark.parametrize("method", METHODS)
def test_uniform_image_gives_an_empty_mask_and_a_warning(method: str) -> None:
    rgb = np.full((120, 90, 3), (40, 160, 90), np.uint8)
    seg = create(method, prior="centre").segment(rgb)
    assert not seg.mask().any()
    assert any("uniform" in w for w in seg.warnings)


@pytest.mark.parametrize("method", METHODS)
def test_tiny_image_is_handled(method: str) -> None:
    seg = create(method, prior="centre").segment(np.zeros((8, 12, 3), np.uint8))
    assert seg.prob.shape == (8, 12) and not seg.mask().any() and seg.warnings


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_scene_without_people_warns_and_empty_fallback_is_empty(method: str, pose: Segmenter) -> None:
    rgb = read_image(dataset_path("backgrounds", "images") / "bear_00000.jpg")
    seg = create(method, pose=pose).segment(rgb)
    assert seg.prob.shape == rgb.shape[:2]
    assert any("no person detected" in w for w in seg.warnings)
    assert seg.people == []
    empty = create(method, pose=pose, fallback="empty").segment(rgb)
    assert not empty.mask().any() and any("empty" in w for w in empty.warnings)


@pytest.mark.parametrize("method", ("kmeans", "meanshift"))
def test_clustering_methods_keep_their_cluster_map(method: str, figure_image: tuple[np.ndarray, np.ndarray]) -> None:
    rgb, truth = figure_image
    seg = create(method, prior="centre").segment(rgb)
    assert CLUSTER_MAP in seg.meta and seg.meta[CLUSTER_MAP].shape == truth.shape
    assert seg.meta[CLUSTER_MAP].min() == 0
    # Cluster 0 is the most person-like: it is mostly the figure.
    assert truth[seg.meta[CLUSTER_MAP] == 0].mean() > 0.9


def test_kmeans_with_position_and_k(figure_image: tuple[np.ndarray, np.ndarray]) -> None:
    rgb, truth = figure_image
    seg = create("kmeans", prior="centre", k=3, position_weight=0.5).segment(rgb)
    assert seg.meta[CLUSTER_MAP].max() <= 2
    assert iou(seg.mask(), truth) >= 0.9


def test_meanshift_bandwidth_given_or_estimated(figure_image: tuple[np.ndarray, np.ndarray]) -> None:
    rgb, truth = figure_image
    given = create("meanshift", prior="centre", bandwidth=10.0).segment(rgb)
    assert given.meta["bandwidth"] == 10.0 and iou(given.mask(), truth) >= 0.95
    assert create("meanshift", prior="centre").segment(rgb).meta["bandwidth"] > 0


def test_grabcut_with_a_user_box(figure_image: tuple[np.ndarray, np.ndarray]) -> None:
    rgb, truth = figure_image
    seg = create("grabcut", prior="centre", init="box", box="45,20,115,232").segment(rgb)
    assert iou(seg.mask(), truth) >= 0.95 and seg.meta["init"] == "box"
    # A box that cuts the legs off leaves them out: outside the box is background.
    cut = create("grabcut", prior="centre", box=(45, 20, 115, 150)).segment(rgb)
    assert not cut.mask()[160:].any()


def test_gmm_prob_is_a_soft_posterior(figure_image: tuple[np.ndarray, np.ndarray]) -> None:
    rgb, truth = figure_image
    seg = create("gmm", prior="centre", components=2, iterations=1).segment(rgb)
    assert seg.prob[truth].mean() > 0.9 and seg.prob[~truth].mean() < 0.1


@pytest.mark.parametrize(
    ("method", "options", "error"),
    [
        ("kmeans", {"k": 1}, MethodError),
        ("kmeans", {"vote": "majority"}, MethodError),
        ("meanshift", {"bandwidth": -1.0}, MethodError),
        ("grabcut", {"init": "circle"}, MethodError),
        ("grabcut", {"box": "1,2,3"}, InputError),
        ("slic-graphcut", {"segments": 2}, MethodError),
        ("gmm", {"components": 0}, MethodError),
        ("gmm", {"prior": "middle"}, MethodError),
        ("gmm", {"fallback": "guess"}, MethodError),
    ],
)
def test_bad_options_are_refused_with_the_choices(method: str, options: dict, error: type) -> None:
    with pytest.raises(error):
        create(method, **options)


def test_a_box_outside_the_image_is_refused(figure_image: tuple[np.ndarray, np.ndarray]) -> None:
    rgb, _ = figure_image
    with pytest.raises(InputError, match="no area inside"):
        create("grabcut", prior="centre", box=(500, 500, 600, 600)).segment(rgb)
