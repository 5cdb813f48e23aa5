"""The public Python API: bodyseg.segment on paths, PIL images and arrays."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import bodyseg
from bodyseg.errors import MethodError
from bodyseg.segmenters import Segmenter, available, create


def test_example_image_is_shipped():
    path = bodyseg.example_image()
    assert path.is_file()
    assert bodyseg.read_image(path).shape == (512, 512, 3)


@pytest.mark.parametrize("method", ["mediapipe-selfie", "mediapipe-pose", "bodyseg"])
def test_segment_finds_the_astronaut(method):
    seg = bodyseg.segment(bodyseg.example_image(), method=method)
    assert isinstance(seg, bodyseg.Segmentation)
    assert seg.prob.shape == (512, 512) and seg.prob.dtype == np.float32
    assert 0.0 <= seg.prob.min() and seg.prob.max() <= 1.0
    mask = seg.mask()
    assert mask[110, 230]  # her face
    assert mask[350, 200]  # her suit
    assert not mask[:60, :60].any() and not mask[:60, -60:].any()  # flag and rocket corners
    assert seg.meta["method"] == method and seg.meta["ms"] > 0


def test_path_pil_and_array_give_the_same_result():
    path = bodyseg.example_image()
    rgb = bodyseg.read_image(path)
    from_path = bodyseg.segment(path, method="mediapipe-selfie").prob
    from_pil = bodyseg.segment(Image.open(path), method="mediapipe-selfie").prob
    from_array = bodyseg.segment(rgb, method="mediapipe-selfie").prob
    assert np.allclose(from_path, from_array) and np.allclose(from_pil, from_array)


def test_mask_threshold():
    seg = bodyseg.segment(bodyseg.example_image(), method="mediapipe-selfie")
    assert seg.mask(0.9).sum() <= seg.mask(0.5).sum() <= seg.mask(0.1).sum()


def test_pose_keeps_33_keypoints_inside_the_image():
    seg = bodyseg.segment(bodyseg.example_image(), method="mediapipe-pose")
    assert len(seg.people) == 1
    person = seg.people[0]
    assert person.keypoints.shape == (33, 3)
    nose = person.keypoints[0]
    assert 180 < nose[0] < 280 and 60 < nose[1] < 160 and nose[2] > 0.9  # nose on her face, visible
    x0, y0, x1, y1 = person.box
    assert 0 <= x0 < x1 <= 512 and 0 <= y0 < y1 <= 512


def test_landscape_model_is_an_option():
    general = bodyseg.segment(bodyseg.example_image(), method="mediapipe-selfie")
    landscape = bodyseg.segment(bodyseg.example_image(), method="mediapipe-selfie", model="landscape")
    assert landscape.meta["model"] == "landscape"
    iou = (general.mask() & landscape.mask()).sum() / (general.mask() | landscape.mask()).sum()
    assert 0.8 < iou < 1.0  # the same person, found by a different model


def test_pose_finds_nobody_in_a_flat_image():
    seg = create("mediapipe-pose").segment(np.full((120, 100, 3), 128, np.uint8))
    assert not seg.mask().any() and seg.people == []
    assert "no person detected" in seg.warnings


def test_tiny_image_gives_an_empty_result_with_a_warning():
    seg = bodyseg.segment(np.zeros((1, 1, 3), np.uint8), method="mediapipe-selfie")
    assert seg.prob.shape == (1, 1) and not seg.mask().any()
    assert "too small" in seg.warnings[0]


def test_unknown_method_and_option():
    with pytest.raises(MethodError, match="unknown method 'nope'.*mediapipe-selfie"):
        bodyseg.segment(bodyseg.example_image(), method="nope")
    with pytest.raises(MethodError, match="no option k; its options are: model"):
        create("mediapipe-selfie", k=3)
    with pytest.raises(MethodError, match="unknown model .tiny.; choose one of: general, landscape"):
        create("mediapipe-selfie", model="tiny")


def test_registry_lists_methods_with_summaries():
    methods = available()
    assert {"mediapipe-selfie", "mediapipe-pose"} <= set(methods)
    assert all(isinstance(text, str) and text for text in methods.values())


def test_every_registered_method_builds_a_segmenter():
    for name in available():
        with create(name) as segmenter:
            assert isinstance(segmenter, Segmenter) and segmenter.name == name
