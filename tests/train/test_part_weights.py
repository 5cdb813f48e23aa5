"""The study's class weights: frequencies, W1 and W2 against hand-computed values, direct and outer losses."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from bodyseg.errors import InputError  # noqa: E402
from bodyseg.parts.schemes import LIP  # noqa: E402
from bodyseg.train.part_weights import (  # noqa: E402
    WEIGHTINGS,
    class_frequencies,
    loss_options,
    parse_weighting,
    part_weights,
    study_loss,
)

STUDY_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "parts_study.py"


def test_frequencies_count_every_pixel_of_every_map():
    maps = [np.array([[0, 0], [1, 2]]), np.array([2, 2, 2, 0])]  # 0: 3, 1: 1, 2: 4 of 8 pixels
    assert class_frequencies(maps, 3).tolist() == [3 / 8, 1 / 8, 4 / 8]
    assert class_frequencies(maps, 4).tolist() == [3 / 8, 1 / 8, 4 / 8, 0.0]  # a class never seen counts 0


@pytest.mark.parametrize("maps", [[np.array([0, 3])], [np.array([-1, 0])]])
def test_frequencies_refuse_labels_outside_the_classes(maps):
    with pytest.raises(InputError, match="group or map the labels"):
        class_frequencies(maps, 3)


def test_frequencies_of_no_pixels_is_an_error():
    with pytest.raises(InputError, match="empty"):
        class_frequencies([np.zeros((0, 4), np.uint8)], 2)


def test_w1_is_inverse_frequency_with_mean_pixel_weight_one():
    w = part_weights(np.array([0.5, 0.3, 0.2]), "w1")  # 1 / (3 f)
    np.testing.assert_allclose(w, [2 / 3, 10 / 9, 5 / 3])
    assert math.isclose(float(np.dot([0.5, 0.3, 0.2], w)), 1.0)


def test_w2_is_the_damped_exponential_scheme_normalised():
    # B = max f / f = [1, 9], mean 5, std 4: w = [e^(1/4), 9 e^(-1/4)], then divided by sum f w.
    raw = np.array([math.exp(0.25), 9 * math.exp(-0.25)])
    expected = raw / (0.9 * raw[0] + 0.1 * raw[1])
    w = part_weights(np.array([0.9, 0.1]), "w2")
    np.testing.assert_allclose(w, expected)
    np.testing.assert_allclose(w, [0.691621, 3.775407], atol=1e-6)


def test_w2_lifts_the_rare_class_less_than_w1():
    f = np.array([0.9, 0.099, 0.001])
    w1, w2 = part_weights(f, "w1"), part_weights(f, "w2")
    assert w2[2] / w2[0] < w1[2] / w1[0]
    assert np.all(np.diff(w1) > 0) and np.all(np.diff(w2) > 0)  # rarer weighs more under both


@pytest.mark.parametrize("scheme", ["w1", "w2"])
def test_equal_frequencies_weigh_one(scheme):
    np.testing.assert_allclose(part_weights(np.full(4, 0.25), scheme), np.ones(4))


def test_a_class_that_never_occurs_is_named():
    with pytest.raises(InputError, match=r"classes \[1\] never occur"):
        part_weights(np.array([0.7, 0.0, 0.3]), "w1")


def test_unknown_scheme_and_weighting_are_refused():
    with pytest.raises(InputError, match="w1, w2"):
        part_weights(np.array([0.5, 0.5]), "median")
    with pytest.raises(InputError, match="w1-direct"):
        parse_weighting("w1-inner")


def test_the_five_weightings_parse():
    assert [parse_weighting(name) for name in WEIGHTINGS] == [
        (None, None),
        ("w1", "direct"),
        ("w1", "outer"),
        ("w2", "direct"),
        ("w2", "outer"),
    ]
    assert loss_options("none", np.array([0.5, 0.5])) == {}


def _pixels() -> tuple[torch.Tensor, torch.Tensor]:
    """Three pixels, two classes: logits (1, 2, 1, 3) and labels (1, 1, 3)."""
    logits = torch.tensor([[[[2.0, -1.0, 0.5]], [[0.0, 1.0, 0.5]]]])
    return logits, torch.tensor([[[0, 1, 1]]])


def test_no_weighting_is_plain_cross_entropy():
    logits, labels = _pixels()
    assert math.isclose(
        float(study_loss("none", np.array([0.9, 0.1]))(logits, labels)), float(F.cross_entropy(logits, labels))
    )


def test_outer_weighs_each_pixel_by_its_true_class():
    logits, labels = _pixels()
    w = part_weights(np.array([0.75, 0.25]), "w1")  # [2/3, 2]
    per_pixel = F.cross_entropy(logits, labels, reduction="none")[0, 0]
    expected = (w[0] * per_pixel[0] + w[1] * per_pixel[1] + w[1] * per_pixel[2]) / 3
    assert math.isclose(
        float(study_loss("w1-outer", np.array([0.75, 0.25]))(logits, labels)), float(expected), rel_tol=1e-6
    )


def test_direct_scales_the_logits_before_the_softmax():
    logits, labels = _pixels()
    w = torch.tensor([2 / 3, 2.0]).view(1, 2, 1, 1)
    expected = F.cross_entropy(logits * w, labels)
    got = study_loss("w1-direct", np.array([0.75, 0.25]))(logits, labels)
    assert math.isclose(float(got), float(expected), rel_tol=1e-6)
    # The prediction itself moves: pixel 2 (equal logits) now goes to the heavier class 1.
    assert (logits * w).argmax(1)[0, 0, 2] == 1 and logits[0, 0, 0, 2] == logits[0, 1, 0, 2]


def test_the_study_groups_cover_each_lip_label_once():
    study = _study_module()
    names = sorted(name for group in study.GROUPS.values() for name in group)
    assert names == sorted(LIP.names)  # every LIP label in exactly one group
    table = study.lip_to_group_table()
    assert table[13] == study.PART_NAMES.index("face")  # LIP id 13 is the face
    assert table[16] == table[19] == study.PART_NAMES.index("legs")  # left leg, right shoe


def _study_module():
    spec = importlib.util.spec_from_file_location("parts_study", STUDY_SCRIPT)
    study = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(study)
    return study


class _AlwaysClass(torch.nn.Module):
    """Logits at half the input's size that always pick class ``pick`` (tests the resize to full labels)."""

    def __init__(self, classes: int, pick: int) -> None:
        super().__init__()
        self.classes, self.pick = classes, pick

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(x.shape[0], self.classes, x.shape[2] // 2, x.shape[3] // 2)
        logits[:, self.pick] = 1.0
        return logits


def test_study_scores_at_the_full_label_size():
    study = _study_module()
    k = len(study.PART_NAMES)
    images = np.zeros((3, 8, 6, 3), np.uint8)
    labels = np.zeros((3, 16, 12), np.uint8)  # full size: twice the images'
    labels[0, :4] = 1  # 48 hair pixels of 576
    labels[1, :, :6] = 3  # 96 torso pixels
    scores = study.score(_AlwaysClass(k, 0), images, labels, batch=2)
    assert scores["images"] == 3
    assert scores["pixel_accuracy"] == (576 - 48 - 96) / 576
    assert scores["class_accuracy"][0] == 1.0 and scores["class_accuracy"][1] == scores["class_accuracy"][3] == 0.0
    assert math.isclose(scores["mean_class_accuracy"], 1 / 3)  # background, hair, torso are present


def test_study_flip_moves_image_and_labels_together():
    study = _study_module()
    rgb = np.zeros((1, 2, 3, 3), np.uint8)
    rgb[0, :, 0] = 255
    labels = np.zeros((1, 2, 3), np.uint8)
    labels[0, :, 0] = 5
    data = study.InMemoryParts(rgb, labels, flip=True, seed=0)
    flipped = 0
    for epoch in range(8):
        data.set_epoch(epoch)
        x, y = data[0]
        marked_label, marked_image = (y == 5).all(0), x[0].gt(0).all(0)  # per column
        assert marked_label.tolist() == marked_image.tolist()  # the marked column stays paired
        flipped += bool(marked_label[2])
    assert 0 < flipped < 8  # some epochs flip, some do not
