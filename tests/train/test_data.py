"""Training data: fixed splits, the torch Dataset, augmentation and copy-paste compositing."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bodyseg.datasets import open_dataset  # noqa: E402
from bodyseg.train.augment import Augment, WholeView, colour_jitter, flip_pair, letterbox, random_scale_crop  # noqa: E402
from bodyseg.train.composite import Compositor, cut_out, paste, paste_random  # noqa: E402
from bodyseg.train.data import SegmentationDataset, class_pixel_counts, spread_indices, to_tensors  # noqa: E402
from bodyseg.train.sources import is_validation, open_source  # noqa: E402


def test_hash_split_is_fixed_and_about_15_percent() -> None:
    ids = [f"{i:05d}" for i in range(4000)]
    first = [is_validation(i) for i in ids]
    assert first == [is_validation(i) for i in reversed(ids)][::-1]  # order does not matter
    assert 0.13 < np.mean(first) < 0.17


def test_pfcn_split_is_disjoint_and_covers_everything(datasets) -> None:
    train, kind = open_source("pfcn", "train", root=datasets)
    val, _ = open_source("pfcn", "val", root=datasets)
    assert kind == "mask" and not set(train.ids()) & set(val.ids())
    assert len(train) + len(val) == len(open_dataset("pfcn_portrait", root=datasets))
    assert 0.12 < len(val) / (len(train) + len(val)) < 0.18


def test_ccp_uses_its_split_file(datasets) -> None:
    assert len(open_source("ccp", "train", root=datasets)[0]) == 804
    val, kind = open_source("ccp-parts", "val", root=datasets)
    assert len(val) == 200 and kind == "parts"


def test_viton_uses_its_split_folders_and_flips_swap_left_and_right(datasets) -> None:
    from bodyseg.train.config import TrainConfig
    from bodyseg.train.loop import build_data

    train, kind = open_source("viton-parts", "train", root=datasets)
    val, _ = open_source("viton-parts", "val", root=datasets)
    assert (len(train), len(val), kind) == (3600, 400, "parts") and not set(train.ids()) & set(val.ids())
    data = build_data(TrainConfig(data=("viton-parts",), loss="ce", data_root=datasets, train_limit=2, val_limit=2))
    assert data.train.transform.swap == ((14, 15), (16, 17), (18, 19))


def test_dataset_items_are_normalised_tensors_and_deterministic(figures) -> None:
    folder = figures()
    data = SegmentationDataset([open_dataset(str(folder))], "mask", Augment(32), seed=3)
    x, y = data[1]
    assert x.shape == (3, 32, 32) and y.shape == (1, 32, 32) and set(y.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(data[1][0], x)  # same seed, epoch and index: same crop
    data.set_epoch(1)
    assert not torch.equal(data[1][0], x)  # a new epoch draws new augmentations


def test_to_tensors_keeps_part_ids() -> None:
    _, y = to_tensors(np.zeros((2, 2, 3), np.uint8), np.array([[0, 19], [41, 3]], np.uint8), "parts")
    assert y.dtype == torch.int64 and y.tolist() == [[0, 19], [41, 3]]


def test_letterbox_keeps_the_whole_picture() -> None:
    target = np.zeros((100, 50), np.uint8)
    target[10:90, 10:40] = 1
    rgb, t = letterbox(np.zeros((100, 50, 3), np.uint8), target, 40)
    assert rgb.shape == (40, 40, 3) and t.shape == (40, 40)
    assert abs(t.sum() - 80 * 30 * 0.16) < 20  # scaled by 0.4, nothing cut
    assert t[:, :10].sum() == 0 and t[:, 30:].sum() == 0  # centred, padded with background


def test_random_crop_moves_the_target_with_the_image() -> None:
    rng = np.random.default_rng(0)
    rgb = np.zeros((90, 60, 3), np.uint8)
    target = np.zeros((90, 60), np.uint8)
    rgb[20:70, 10:40] = 255
    target[20:70, 10:40] = 1
    for _ in range(20):
        out_rgb, out_t = random_scale_crop(rgb, target, 48, rng)
        assert out_rgb.shape[:2] == out_t.shape == (48, 48)
        assert np.mean((out_t == 1) != (out_rgb[..., 0] > 127)) < 0.05  # disagreement only along the edge


def test_flip_swaps_left_right_labels_and_jitter_keeps_dtype() -> None:
    _, t = flip_pair(np.zeros((1, 3, 3), np.uint8), np.array([[1, 0, 2]], np.uint8), swap=[(1, 2)])
    assert t.tolist() == [[1, 0, 2]]  # mirrored, then left/right exchanged
    out = colour_jitter(np.random.default_rng(0).integers(0, 255, (8, 8, 3), dtype=np.uint8), np.random.default_rng(1))
    assert out.dtype == np.uint8 and out.shape == (8, 8, 3)


def test_paste_blends_inside_the_mask_only_and_cuts_off_at_the_border() -> None:
    canvas, canvas_t = np.zeros((20, 20, 3), np.uint8), np.zeros((20, 20), np.uint8)
    person, person_t = np.full((10, 6, 3), 200, np.uint8), np.ones((10, 6), np.uint8)
    out, out_t = paste(canvas, canvas_t, person, person_t, top=15, left=-2, feather=1.0)
    assert out_t.sum() == 5 * 4  # 5 rows and 4 columns inside the canvas
    assert out[out_t == 0].max() == 0  # nothing leaks outside the mask
    assert canvas_t.sum() == 0  # inputs untouched


def test_cut_out_and_paste_random_make_people_of_many_sizes() -> None:
    rgb, t = np.full((40, 20, 3), 255, np.uint8), np.zeros((40, 20), np.uint8)
    t[5:35, 5:15] = 1
    piece = cut_out(rgb, t)
    assert piece[1].shape == (30, 10)
    rng = np.random.default_rng(0)
    areas = [
        paste_random(np.zeros((100, 100, 3), np.uint8), np.zeros((100, 100), np.uint8), *piece, rng)[1].sum()
        for _ in range(30)
    ]
    assert min(areas) < 200 and max(areas) > 1500  # small and large people
    assert cut_out(rgb, np.zeros_like(t)) is None


def test_compositor_makes_scenes_overlays_and_negatives(figures) -> None:
    folder = figures("figs", count=3)
    backgrounds = figures("bg", count=2, seed=1)
    bg_paths = sorted((backgrounds / "images").glob("*.png"))
    data = SegmentationDataset([open_dataset(str(folder))], "mask", WholeView(48))
    compositor = Compositor(
        people=data.load_pair, count=len(data), backgrounds=bg_paths, p_background=0.5, p_overlay=0.3
    )
    rgb, target = data.load_pair(0)
    outcomes = [compositor(rgb, target, np.random.default_rng(i)) for i in range(40)]
    shapes = {o[0].shape for o in outcomes}
    people = [int(o[1].sum()) for o in outcomes]
    assert len(shapes) >= 1 and all(o[0].shape[:2] == o[1].shape for o in outcomes)
    assert 0 in people  # person-free scene: a hard negative
    assert any(p > target.sum() for p in people)  # someone pasted over the photo
    assert sum(np.array_equal(o[1], target) for o in outcomes) >= 4  # some photos stay as they are


def test_real_composites_on_backgrounds(datasets) -> None:
    from bodyseg.io import read_image
    from bodyseg.train.composite import _background
    from bodyseg.train.sources import open_source

    train, _ = open_source("pfcn", "train", root=datasets, limit=5)
    data = SegmentationDataset([train], "mask", Augment(96))
    backgrounds = sorted((datasets / "backgrounds" / "images").glob("*.jpg"))[:1]
    compositor = Compositor(people=data.load_pair, count=len(data), backgrounds=backgrounds, p_background=1.0)
    scene = _background(backgrounds[0], compositor.max_side)
    rgb, target = data.load_pair(0)
    kinds = []
    for seed in range(8):
        out, mask = compositor(rgb, target, np.random.default_rng(seed))
        assert out.shape[:2] == mask.shape == scene.shape[:2]  # people pasted onto the scene's canvas
        person = mask > 0
        kinds.append(bool(person.any()))
        if not person.any():  # a hard negative: the scene as it is, labelled empty
            assert np.array_equal(out, scene)
            continue
        assert person.mean() < 0.9  # the scene shows around the people
        assert np.abs(out[~person].astype(int) - scene[~person]).mean() < 2  # outside the people: the scene itself
        assert np.abs(out[person].astype(int) - scene[person]).mean() > 10  # inside: a pasted person, not the scene
    assert any(kinds) and not all(kinds)  # both scenes with people and empty scenes are made
    assert read_image(backgrounds[0]).shape[2] == 3
    data.compositor = compositor
    x, y = data[0]
    assert x.shape == (3, 96, 96) and y.shape == (1, 96, 96) and 0 < float(y.mean()) < 1


def test_an_unreadable_sample_is_skipped_with_a_warning(figures, caplog) -> None:
    folder = figures()
    (folder / "images" / "001.png").write_bytes(b"not a png")
    data = SegmentationDataset([open_dataset(str(folder))], "mask", WholeView(32))
    x, _ = data[1]
    torch.testing.assert_close(x, data[2][0])  # the next sample stands in
    assert "unreadable" in caplog.text and "001.png" in caplog.text


class _Labels:
    """A stand-in data set of label maps: the first half all 0, the second half all 1 (two sources in a row)."""

    def __len__(self) -> int:
        return 10

    def load_pair(self, index: int) -> tuple[None, np.ndarray]:
        return None, np.full((2, 2), int(index >= 5), np.uint8)


def test_class_pixel_counts_sample_every_source_not_only_the_first() -> None:
    assert spread_indices(10, 4).tolist() == [0, 3, 6, 9]
    counts = class_pixel_counts(_Labels(), 3, limit=4)  # samples 0, 3 (class 0) and 6, 9 (class 1), 4 pixels each
    assert counts.tolist() == [1 + 8, 1 + 8, 1]
