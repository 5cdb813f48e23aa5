"""Losses: minimal at a perfect prediction, hand-computed values, finite non-zero gradients."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bodyseg.errors import InputError  # noqa: E402
from bodyseg.train.losses import (  # noqa: E402
    LOSSES,
    bce_dice_loss,
    bce_loss,
    boundary_loss,
    class_weights,
    dice_loss,
    focal_loss,
    get_loss,
    sampled_class_weights,
    signed_distance_map,
    tversky_loss,
    weighted_cross_entropy,
)

BINARY = ["bce", "dice", "bce+dice", "focal", "tversky", "boundary"]


def person_target() -> torch.Tensor:
    """(2, 1, 8, 8): a 4x4 square person in image 0, nobody in image 1."""
    t = torch.zeros(2, 1, 8, 8)
    t[0, 0, 2:6, 2:6] = 1
    return t


def confident(target: torch.Tensor, right: bool = True) -> torch.Tensor:
    """Logits of +-20 that agree (or disagree) with the target."""
    sign = (2 * target - 1) if right else (1 - 2 * target)
    return 20.0 * sign


@pytest.mark.parametrize("name", BINARY)
def test_binary_loss_is_lowest_at_a_perfect_prediction(name: str) -> None:
    loss = get_loss(name)
    t = person_target()
    perfect, wrong = loss(confident(t), t), loss(confident(t, right=False), t)
    unsure = loss(torch.zeros_like(t), t)
    assert float(perfect) < float(unsure) < float(wrong)
    if name != "boundary":  # the boundary loss is negative at its minimum (see its docstring)
        assert float(perfect) == pytest.approx(0.0, abs=1e-6)
    torch.manual_seed(0)
    for _ in range(5):
        assert float(perfect) <= float(loss(torch.randn_like(t) * 5, t)) + 1e-6


@pytest.mark.parametrize("name", BINARY)
def test_binary_loss_gradient_is_finite_and_non_zero(name: str) -> None:
    t = person_target()
    logits = torch.zeros_like(t).requires_grad_(True)
    get_loss(name)(logits, t).backward()
    assert torch.isfinite(logits.grad).all()
    assert logits.grad.abs().sum() > 0


# one image 1x1x1x2, logits 0 (p = 0.5), target [1, 0]
ZERO = torch.zeros(1, 1, 1, 2)
T10 = torch.tensor([[[[1.0, 0.0]]]])


def test_bce_hand_computed() -> None:
    # -log(0.5) on both pixels
    assert float(bce_loss(ZERO, T10)) == pytest.approx(math.log(2), rel=1e-6)
    # logits [2, -1], target [1, 0]: (log(1 + e^-2) + log(1 + e^-1)) / 2
    logits = torch.tensor([[[[2.0, -1.0]]]])
    expected = (math.log(1 + math.exp(-2)) + math.log(1 + math.exp(-1))) / 2
    assert float(bce_loss(logits, T10)) == pytest.approx(expected, rel=1e-6)


def test_dice_hand_computed() -> None:
    # sum(p t) = 0.5, sum p = 1, sum t = 1; smooth 0: 1 - 1/2; smooth 1: 1 - 2/3
    assert float(dice_loss(ZERO, T10, smooth=0.0)) == pytest.approx(0.5)
    assert float(dice_loss(ZERO, T10, smooth=1.0)) == pytest.approx(1 / 3)
    # an empty target and a confident empty prediction: (0 + 1) / (0 + 0 + 1) -> loss 0
    empty = torch.zeros(1, 1, 2, 2)
    assert float(dice_loss(torch.full_like(empty, -30.0), empty)) == pytest.approx(0.0, abs=1e-6)


def test_dice_is_per_image_then_batch_mean() -> None:
    # image 0 perfect (loss 0), image 1 as T10 with logits 0 (loss 1/2 with smooth 0) -> 1/4
    logits = torch.cat([confident(T10), ZERO])
    target = torch.cat([T10, T10])
    assert float(dice_loss(logits, target, smooth=0.0)) == pytest.approx(0.25, abs=1e-6)


def test_tversky_hand_computed() -> None:
    # target [1, 1, 0], p = sigmoid([0, 0, 0]) = .5: TP = 1, FP = .5, FN = 1
    t = torch.tensor([[[[1.0, 1.0, 0.0]]]])
    z = torch.zeros(1, 1, 1, 3)
    # alpha .3 beta .7, smooth 0: 1 - 1 / (1 + .15 + .7) = 1 - 1/1.85
    assert float(tversky_loss(z, t, alpha=0.3, beta=0.7, smooth=0)) == pytest.approx(1 - 1 / 1.85)
    # alpha = beta = .5 is Dice: 2 * 1 / (1.5 + 2) -> 1 - 4/7
    assert float(tversky_loss(z, t, smooth=0)) == pytest.approx(1 - 4 / 7)
    assert float(dice_loss(z, t, smooth=0)) == pytest.approx(1 - 4 / 7)


def test_bce_dice_hand_computed() -> None:
    assert float(bce_dice_loss(ZERO, T10)) == pytest.approx(math.log(2) + 1 / 3, rel=1e-6)
    assert float(bce_dice_loss(ZERO, T10, bce_weight=0.5, dice_weight=2.0)) == pytest.approx(
        0.5 * math.log(2) + 2 / 3, rel=1e-6
    )


def test_focal_hand_computed() -> None:
    # p_t = .5 on both pixels: (1 - .5)^2 ln 2 = .25 ln 2; alpha_t = .25 (person), .75 (background)
    expected = (0.25 * 0.25 * math.log(2) + 0.75 * 0.25 * math.log(2)) / 2
    assert float(focal_loss(ZERO, T10)) == pytest.approx(expected, rel=1e-6)
    # gamma 0 and no alpha is BCE
    logits = torch.tensor([[[[2.0, -1.0]]]])
    assert float(focal_loss(logits, T10, gamma=0.0, alpha=None)) == pytest.approx(float(bce_loss(logits, T10)))
    # an easy pixel (p_t = sigmoid(3)) is damped by (1 - p_t)^2
    p_t = 1 / (1 + math.exp(-3))
    easy = torch.tensor([[[[3.0]]]])
    one = torch.ones(1, 1, 1, 1)
    assert float(focal_loss(easy, one, alpha=None)) == pytest.approx((1 - p_t) ** 2 * -math.log(p_t), rel=1e-5)


def test_signed_distance_map_hand_computed() -> None:
    # 1x5, person at cols 0-2: inside distances to background 3, 2, 1 -> -(d - 1) = -2, -1, 0;
    # outside distances to the person 1, 2
    np.testing.assert_array_equal(signed_distance_map(np.array([[1, 1, 1, 0, 0]], bool)), [[-2, -1, 0, 1, 2]])
    assert not signed_distance_map(np.zeros((3, 3), bool)).any()
    assert not signed_distance_map(np.ones((3, 3), bool)).any()


def test_boundary_hand_computed() -> None:
    # map [-1, 0, 1, 2]; p = .5: mean(.5 * map) = .25; p = [1, 1, 0, 0]: mean(-1, 0, 0, 0) = -.25
    t = torch.tensor([[[[1.0, 1.0, 0.0, 0.0]]]])
    assert float(boundary_loss(torch.zeros(1, 1, 1, 4), t)) == pytest.approx(0.25)
    assert float(boundary_loss(confident(t), t)) == pytest.approx(-0.25, abs=1e-6)
    # a precomputed map gives the same value
    distance = torch.from_numpy(signed_distance_map(t[0, 0].numpy() > 0.5))[None, None]
    assert float(boundary_loss(torch.zeros(1, 1, 1, 4), t, distance=distance)) == pytest.approx(0.25)


def test_binary_losses_refuse_mismatched_shapes() -> None:
    with pytest.raises(InputError, match="unsqueeze"):
        bce_loss(torch.zeros(2, 1, 4, 4), torch.zeros(2, 4, 4))


def test_class_weights_hand_computed() -> None:
    # inverse: 100 / (2 * 90), 100 / (2 * 10)
    np.testing.assert_allclose(class_weights([90, 10]), [100 / 180, 5.0])
    # exponential: B = [1, 9], mean 5, std 4 -> [1 e^(4/16), 9 e^(-4/16)]
    np.testing.assert_allclose(class_weights([90, 10], "exponential"), [math.exp(0.25), 9 * math.exp(-0.25)])
    np.testing.assert_allclose(class_weights([5, 5, 5], "exponential"), [1, 1, 1])
    with pytest.raises(InputError, match="add 1"):
        class_weights([10, 0])
    with pytest.raises(InputError, match="inverse"):
        class_weights([1, 2], "sqrt")


def test_sampled_class_weights_average_one_per_pixel_and_leave_unseen_classes_at_one() -> None:
    # seen: 75 and 25 pixels -> inverse 100 / (2 * 75), 100 / (2 * 25); mean pixel weight 0.75 * 2/3 + 0.25 * 2 = 1
    weights = sampled_class_weights([75, 25, 1, 0])
    np.testing.assert_allclose(weights, [2 / 3, 2.0, 1.0, 1.0])
    # a class the sample missed must not get the inverse of the floor count (here it would be 50x the rare class)
    assert sampled_class_weights([100, 2, 1], "exponential").max() < 100
    with pytest.raises(InputError, match="empty"):
        sampled_class_weights([1, 1, 0])


# 2 pixels, 2 classes: pixel A logits [1, 0] true class 0; pixel B logits [0, 0] true class 1
CE_LOGITS = torch.tensor([[[[1.0, 0.0]], [[0.0, 0.0]]]])  # (1, 2, 1, 2)
CE_TARGET = torch.tensor([[[0, 1]]])  # (1, 1, 2)
CE_A, CE_B = math.log(1 + math.exp(-1)), math.log(2)


def test_weighted_cross_entropy_hand_computed() -> None:
    w = [2.0, 0.5]
    assert float(weighted_cross_entropy(CE_LOGITS, CE_TARGET)) == pytest.approx((CE_A + CE_B) / 2, rel=1e-6)
    # outer: weight each pixel's loss by its true class: (2 CE_A + .5 CE_B) / 2
    outer = weighted_cross_entropy(CE_LOGITS, CE_TARGET, w, mode="outer")
    assert float(outer) == pytest.approx((2 * CE_A + 0.5 * CE_B) / 2, rel=1e-6)
    # direct: logits scaled per class first: A -> [2, 0] = ln(1 + e^-2); B -> [0, 0] = ln 2
    direct = weighted_cross_entropy(CE_LOGITS, CE_TARGET, np.array(w), mode="direct")
    assert float(direct) == pytest.approx((math.log(1 + math.exp(-2)) + math.log(2)) / 2, rel=1e-6)


def test_weighted_cross_entropy_ignores_void_pixels() -> None:
    target = torch.tensor([[[0, 255]]])
    loss = weighted_cross_entropy(CE_LOGITS, target, [2.0, 0.5], ignore_index=255)
    assert float(loss) == pytest.approx(2 * CE_A, rel=1e-6)  # only pixel A counts


def one_hot_labels(target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(N, H, W) labels -> (N, C, H, W) float one-hot."""
    return torch.nn.functional.one_hot(target, num_classes).permute(0, 3, 1, 2).float()


@pytest.mark.parametrize("mode", ["outer", "direct"])
def test_weighted_cross_entropy_perfect_gradient(mode: str) -> None:
    target = torch.tensor([[[0, 1, 2, 1]]])
    one_hot = one_hot_labels(target, 3)
    weights = class_weights([50, 30, 20], "exponential")
    perfect = weighted_cross_entropy(20 * (2 * one_hot - 1), target, weights, mode=mode)
    wrong = weighted_cross_entropy(20 * (1 - 2 * one_hot), target, weights, mode=mode)
    assert float(perfect) == pytest.approx(0.0, abs=1e-6) and float(wrong) > 1
    logits = torch.zeros(1, 3, 1, 4, requires_grad=True)
    weighted_cross_entropy(logits, target, weights, mode=mode).backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


def test_weighted_cross_entropy_refuses_bad_input() -> None:
    with pytest.raises(InputError, match="one per class"):
        weighted_cross_entropy(CE_LOGITS, CE_TARGET, [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="direct"):
        weighted_cross_entropy(CE_LOGITS, CE_TARGET, [1.0, 2.0], mode="inner")
    with pytest.raises(InputError, match=r"target\[:, 0\]"):
        weighted_cross_entropy(CE_LOGITS, CE_TARGET[:, None])


def test_registry_names_and_options() -> None:
    assert set(LOSSES) == {"bce", "dice", "bce+dice", "focal", "tversky", "boundary", "ce"}
    assert float(
        get_loss("tversky", alpha=0.3, beta=0.7, smooth=0)(torch.zeros(1, 1, 1, 3), torch.tensor([[[[1.0, 1.0, 0.0]]]]))
    ) == pytest.approx(1 - 1 / 1.85)
    ce = get_loss("ce", weights=[2.0, 0.5], mode="outer")
    assert float(ce(CE_LOGITS, CE_TARGET)) == pytest.approx((2 * CE_A + 0.5 * CE_B) / 2, rel=1e-6)
    with pytest.raises(InputError, match="choose one of"):
        get_loss("hinge")
    with pytest.raises(InputError, match="its options are: gamma, alpha"):
        get_loss("focal", beta=1.0)


def test_importing_train_and_metrics_does_not_import_torch() -> None:
    code = "import sys, bodyseg.train, bodyseg.metrics; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
