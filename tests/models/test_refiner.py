"""The refinement net's inputs, its residual on the prior, and running it through ONNX."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.errors import MethodError
from bodyseg.models.refiner import (
    PRIOR_CHANNEL,
    REFINE_CHANNELS,
    PoseRefiner,
    combine,
    keypoint_bumps,
    refiner_input,
)
from bodyseg.models.runtime import MEAN, STD, logit


def test_logit_inverts_the_sigmoid_and_clips():
    p = np.array([0.1, 0.5, 0.9], np.float32)
    np.testing.assert_allclose(1 / (1 + np.exp(-logit(p))), p, atol=1e-6)
    assert np.isfinite(logit(np.array([0.0, 1.0]))).all()


def test_zero_correction_returns_the_prior_and_a_positive_one_raises_it():
    prior = np.random.default_rng(0).uniform(0.01, 0.99, (256, 256)).astype(np.float32)
    np.testing.assert_allclose(combine(np.zeros((128, 128), np.float32), prior), prior, atol=1e-5)
    raised = combine(np.full((128, 128), 2.0, np.float32), prior)
    np.testing.assert_allclose(raised, 1 / (1 + np.exp(-(logit(prior) + 2.0))), atol=1e-5)


def test_keypoint_bumps_peak_on_visible_keypoints_only():
    kp = np.zeros((33, 3), np.float32)
    kp[0] = (10, 20, 0.9)
    kp[1] = (30, 5, 0.1)  # not visible
    bumps = keypoint_bumps(kp, (40, 40), sigma=2.0)
    assert bumps[20, 10] == pytest.approx(1.0)
    assert bumps[20, 12] == pytest.approx(np.exp(-4 / 8), abs=1e-6)  # 2 px off: exp(-d^2 / 2 sigma^2)
    assert bumps[5, 30] < 1e-6


def test_refiner_input_channels():
    rng = np.random.default_rng(1)
    crop = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    prior = np.zeros((256, 256), np.float32)
    prior[64:192, 96:160] = 1.0
    kp = np.zeros((33, 3), np.float32)
    kp[0] = (127.5, 63.5, 1.0)  # pixel centre (127.5, 63.5) at 256 px -> (63.5, 31.5) at 128 px
    x = refiner_input(crop, prior, kp)
    assert x.shape == (REFINE_CHANNELS, 128, 128) and x.dtype == np.float32
    mean_rgb = crop.reshape(128, 2, 128, 2, 3).mean(axis=(1, 3)) / 255.0
    mean, std = np.array(MEAN, np.float32), np.array(STD, np.float32)
    np.testing.assert_allclose(
        x[:3].transpose(1, 2, 0), (mean_rgb - mean) / std, atol=0.51 / 255 / std.min()
    )  # INTER_AREA rounds to 8 bits
    assert x[PRIOR_CHANNEL, 64, 64] == 1.0 and x[PRIOR_CHANNEL, 10, 10] == 0.0
    bumps = x[6]
    assert np.unravel_index(bumps.argmax(), bumps.shape) in {(31, 63), (31, 64), (32, 63), (32, 64)}


@pytest.fixture(scope="module")
def exported_refiner(tmp_path_factory):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from bodyseg.nets.pose_refiner import PoseRefinerNet
    from bodyseg.train.export import export_with_card

    net = PoseRefinerNet(base=4, depth=2)
    with torch.no_grad():
        net.core.head.bias.fill_(1.5)  # dM = 1.5 everywhere (the head's weights start at zero)
    folder = tmp_path_factory.mktemp("refiner")
    _, card = export_with_card(
        net,
        folder / "refiner.onnx",
        arch="pose-refiner",
        data=["test"],
        size=128,
        num_classes=1,
        metrics={},
        in_channels=REFINE_CHANNELS,
    )
    return card


def test_onnx_refiner_adds_its_correction_to_the_prior_logit(exported_refiner):
    refiner = PoseRefiner.load(exported_refiner)
    prior = np.full((256, 256), 0.3, np.float32)
    prior[100:150, 100:150] = 0.9
    out = refiner(np.zeros((256, 256, 3), np.uint8), prior, np.zeros((33, 3), np.float32))
    assert out.shape == (256, 256)
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-(logit(prior) + 1.5))), atol=2e-3)


def test_missing_refiner_card_is_a_clear_error(tmp_path):
    with pytest.raises(MethodError, match="model card|missing|no "):
        PoseRefiner.load(tmp_path / "nope.json")


def test_selfie_probability_is_warped_into_the_crop_and_fed_as_its_own_channel():
    from bodyseg.geometry import RotatedSquare
    from bodyseg.models.refiner import SELFIE_CHANNEL, warp_into_crop

    frame = np.zeros((64, 64), np.float32)
    frame[:, :32] = 1.0  # left half of the image is person
    roi = RotatedSquare(cx=100.0, cy=100.0, side=200.0, angle=0.0)  # the crop is the whole 200x200 image
    selfie = warp_into_crop(frame, (200, 200), roi, size=128)
    assert selfie[64, 10] == pytest.approx(1.0) and selfie[64, 120] == pytest.approx(0.0)
    x = refiner_input(
        np.zeros((256, 256, 3), np.uint8), np.zeros((256, 256), np.float32), np.zeros((33, 3), np.float32), selfie
    )
    np.testing.assert_array_equal(x[SELFIE_CHANNEL], selfie)


def test_refine_crop_frames_the_visible_person():
    from bodyseg.models.refiner import CROP_SIZE, refine_crop

    rgb = np.zeros((300, 200, 3), np.uint8)
    prob = np.zeros((300, 200), np.float32)
    prob[200:300, 50:150] = 0.9  # a bust cut off by the bottom edge
    kp = np.zeros((33, 3), np.float32)
    kp[0] = (100, 250, 1.0)  # the box centre
    crop = refine_crop(rgb, prob, kp, np.zeros((64, 64), np.float32))
    assert crop.roi.side == pytest.approx(130.0) and (crop.roi.cx, crop.roi.cy) == (100.0, 250.0)  # 100 px + 15% a side
    np.testing.assert_allclose(crop.keypoints[0, :2], (CROP_SIZE / 2 - 0.5, CROP_SIZE / 2 - 0.5), atol=1.0)
    inner = crop.prior[40:200, 40:216]
    assert inner.min() > 0.85 and crop.prior[5, 5] == 0.0  # the person fills the middle; the margin is background
    assert crop.net_input().shape == (7, 128, 128)
    assert refine_crop(rgb, np.zeros((300, 200), np.float32), kp, np.zeros((64, 64), np.float32)) is None


@pytest.mark.parametrize("net_size", [96, 256])
def test_refine_crop_feeds_a_net_of_any_input_side(net_size):
    """A refiner exported at another side gets every channel, the selfie one included, at that side."""
    from bodyseg.models.refiner import SELFIE_CHANNEL, refine_crop

    prob = np.zeros((300, 200), np.float32)
    prob[100:300, 50:150] = 0.9
    selfie = np.zeros((64, 64), np.float32)
    selfie[:, 32:] = 1.0  # the right half of the frame is person
    crop = refine_crop(
        np.zeros((300, 200, 3), np.uint8), prob, np.zeros((33, 3), np.float32), selfie, net_size=net_size
    )
    x = crop.net_input(net_size)
    assert x.shape == (7, net_size, net_size)
    middle = net_size // 2
    assert (
        x[SELFIE_CHANNEL, middle, middle + net_size // 8] == pytest.approx(1.0)
        and x[SELFIE_CHANNEL, middle, middle - net_size // 8] == 0.0
    )


def test_the_shipped_refiner_loads_checks_its_card_and_is_the_default():
    from bodyseg.models.card import shipped_card
    from bodyseg.models.refiner import SHIPPED
    from bodyseg.segmenters import create
    from bodyseg.segmenters.registry import parse_option_pairs

    card = shipped_card(SHIPPED)
    assert card is not None, "the package must ship its refinement weights (src/bodyseg/weights/pose_refiner.*)"
    refiner = PoseRefiner.load(card)
    assert refiner.card["architecture"] == "pose-refiner" and refiner.size == 128
    assert len(refiner.card["input"]["channels"]) == REFINE_CHANNELS
    assert refiner.card["bytes"] < 5_000_000  # a few MB at most
    assert create("bodyseg").models.refiner is not None
    assert create("bodyseg", refiner="none").models.refiner is None
    # what a user writes on the command line: the documented default must mean the shipped refiner
    assert create("bodyseg", **parse_option_pairs(["refiner=auto"])).models.refiner is not None
    assert create("bodyseg", **parse_option_pairs(["refiner=none"])).models.refiner is None
