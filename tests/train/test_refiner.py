"""Training data of the refinement net: instance matching, crops, packing, hold-out, and a short fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bodyseg.geometry import RotatedSquare
from bodyseg.models.refiner import PRIOR_CHANNEL, REFINE_SIZE
from bodyseg.train.refiner import RefineCrops
from bodyseg.train.refiner_crops import (
    instances_in_crop,
    is_holdout,
    match_instance,
    pack,
    paste_people,
    split_backgrounds,
    unpack,
)

torch = pytest.importorskip("torch")


def test_detection_goes_to_the_instance_it_overlaps_most():
    ids = np.zeros((10, 10), np.uint8)
    ids[:, :5] = 1
    ids[:, 5:] = 2
    prob = np.zeros((10, 10))
    prob[:, 3:10] = 0.9  # 2 columns of instance 1, 5 of instance 2
    assert match_instance(ids, prob) == 2
    assert match_instance(ids, np.zeros((10, 10))) == 0  # a detection with an empty mask matches nobody
    assert match_instance(np.zeros((10, 10), np.uint8), prob) == 0  # a person-free scene: a hard negative


def test_instances_are_warped_into_the_landmark_crop():
    instances = np.zeros((100, 100), np.uint8)
    instances[20:40, 50:70] = 3
    roi = RotatedSquare(cx=60.0, cy=50.0, side=100.0, angle=0.0)  # crop = image shifted by 10 px in x
    crop = instances_in_crop(instances, roi, size=100)
    assert set(np.unique(crop)) == {0, 3}
    ys, xs = np.nonzero(crop == 3)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (20, 39, 40, 59)


def test_pasted_people_get_their_own_ids():
    rng = np.random.default_rng(0)
    person = np.full((40, 20, 3), 200, np.uint8)
    mask = np.zeros((40, 20), np.uint8)
    mask[5:35, 5:15] = 255
    canvas, ids = paste_people(
        np.zeros((100, 100, 3), np.uint8), np.zeros((100, 100), np.uint8), [(person, mask)] * 3, rng, (0.3, 0.5)
    )
    assert set(np.unique(ids)) <= {0, 1, 2, 3} and ids.max() >= 2
    assert (canvas[ids > 0] > 0).all()


def test_pack_and_unpack_round_trip_within_8_bit_steps():
    rng = np.random.default_rng(0)
    from bodyseg.models.runtime import normalise

    rgb = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    x = np.concatenate([normalise(rgb), rng.uniform(0, 1, (4, 8, 8))]).astype(np.float32)
    target = rng.uniform(0, 1, (8, 8)).astype(np.float32)
    shard = pack([x], [target])
    y, t = unpack(shard, 0)
    np.testing.assert_allclose(y[:3], x[:3], atol=0.51 / 255 / 0.224)
    np.testing.assert_allclose(
        y[PRIOR_CHANNEL : PRIOR_CHANNEL + 2], x[PRIOR_CHANNEL : PRIOR_CHANNEL + 2], atol=1e-3
    )  # float16
    np.testing.assert_allclose(y[5:], x[5:], atol=0.51 / 255)
    np.testing.assert_allclose(t, target, atol=0.51 / 255)


def test_splits_are_fixed_and_disjoint():
    paths = [Path(f"/x/{i:05d}.jpg") for i in range(200)]
    train, held = split_backgrounds(paths)
    assert set(train).isdisjoint(held) and len(train) + len(held) == 200 and 10 <= len(held) <= 50
    assert split_backgrounds(paths) == (train, held)
    assert 5 <= sum(is_holdout(f"ccp/{i:04d}") for i in range(200)) <= 30


def synthetic_shards(count: int = 8, size: int = 32) -> dict[str, np.ndarray]:
    """Crops whose prior is the true mask shifted by 4 px: a correction the net can learn."""
    inputs, targets = [], []
    for i in range(count):
        target = np.zeros((size, size), np.float32)
        target[6:26, 8 + i % 4 : 20 + i % 4] = 1
        rgb = np.where(target[None] > 0, 1.5, -1.0).astype(np.float32) * np.ones((3, 1, 1), np.float32)
        prior = np.roll(target, 4, axis=1) * 0.8 + 0.1
        inputs.append(np.concatenate([rgb, prior[None], np.zeros((3, size, size), np.float32)]))
        targets.append(target)
    shards = pack(inputs, targets)
    shards["holdout"] = np.array([i % 4 == 0 for i in range(count)])
    shards["names"] = np.array([f"ccp/{i}/photo" for i in range(count)])
    return shards


def test_refine_crops_flip_input_and_target_together():
    data = RefineCrops(synthetic_shards(), np.arange(8), augment=True, p_perturb=0.0)
    for item in range(8):
        x, target = data[item]
        assert x.shape == (7, 32, 32) and target.shape == (1, 32, 32)
        person = x[0] > 0
        assert (person.numpy() == (target[0].numpy() > 0.5)).mean() > 0.97  # flipped or not, still aligned


def test_refiner_learns_to_move_a_shifted_prior(tmp_path):
    from bodyseg.nets.pose_refiner import PoseRefinerNet
    from bodyseg.train.checkpoints import seed_everything
    from bodyseg.train.config import TrainConfig, TrainData
    from bodyseg.train.loop import train

    shards = synthetic_shards()
    train_set = RefineCrops(shards, np.arange(8), augment=False)
    config = TrainConfig(
        arch="pose-refiner",
        size=REFINE_SIZE,
        epochs=4,
        batch_size=4,
        lr=1e-2,
        steps_per_epoch=20,
        out=tmp_path / "run",
        composite=False,
        progress=False,
        warmup_steps=0,
    )
    seed_everything(0)
    result = train(
        config, data=TrainData(train_set, {"ccp": train_set}, "mask", 1), model=PoseRefinerNet(base=8, depth=2)
    )
    prior_iou = 8 / 16  # the prior is the 12 px wide figure shifted by 4 px
    assert result.history[-1]["per_source"]["ccp"]["iou"] > 0.9 > prior_iou
    assert result.history[-1]["train_loss"] < 0.6 * result.history[0]["train_loss"]


def test_crop_pixels_outside_the_image_are_marked_and_neutral():
    from bodyseg.train.refiner_crops import inside_image, neutral_outside

    roi = RotatedSquare(cx=50.0, cy=80.0, side=100.0, angle=0.0)  # rows 30..130 of a 100-row image
    inside = inside_image(roi, (100, 100), size=100)
    assert inside[:69].min() == pytest.approx(1.0) and inside[71:].max() == pytest.approx(0.0)
    target = neutral_outside(np.ones((100, 100), np.float32), np.full((100, 100), 0.3, np.float32), inside)
    assert target[10, 10] == 1.0 and target[90, 10] == pytest.approx(0.3)


@pytest.mark.parametrize("size", [64, 96])
def test_crop_maker_makes_samples_at_the_net_input_side_it_is_given(size):
    """The pipeline's own stages on the example photo give one sample whose input and target are SxS
    and whose target is the person's mask in the crop (here the pipeline's own mask stands in for a truth)."""
    import bodyseg
    from bodyseg.train.refiner_crops import CropMaker

    rgb = bodyseg.read_image(bodyseg.example_image())
    with bodyseg.create("bodyseg") as segmenter:
        mask = segmenter.segment(rgb).mask().astype(np.uint8)
    maker = CropMaker(lambda i: (rgb, mask), 1, [], size=size)
    ((x, target),) = list(maker.samples(0, "photo"))
    assert x.shape == (7, size, size) and target.shape == (size, size)
    person = target > 0.5
    assert 0.2 < person.mean() < 0.9
    assert ((x[PRIOR_CHANNEL] > 0.5) == person).mean() > 0.9  # the landmark mask and the "truth" agree in the crop
