"""Data set readers: tiny folders and COCO JSON built here, then the real shared data sets."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from bodyseg.datasets import (
    KNOWN_DATASETS,
    Entry,
    open_coco,
    open_dataset,
    parse_label_names,
    read_label_names,
)
from bodyseg.errors import InputError
from tests.conftest import DATASETS, dataset_path


def write_png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def write_jpg(path: Path, shape: tuple[int, int] = (12, 16)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((*shape, 3), 120, np.uint8)).save(path)


def box_mask(shape: tuple[int, int], y0: int, y1: int, x0: int, x1: int, value: int = 255) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[y0:y1, x0:x1] = value
    return mask


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """a/ b/ have masks (0/255 and 0/1), c has none; a split file; parts with a label file."""
    root = tmp_path / "people"
    for stem in ("a", "b", "c"):
        write_jpg(root / "images" / f"{stem}.jpg")
    write_png(root / "masks" / "a.png", box_mask((12, 16), 2, 6, 3, 9))
    write_png(root / "masks" / "b.png", box_mask((12, 16), 0, 12, 0, 4, value=1))
    (root / "split.txt").write_text("a train\nb val\nc val\n")
    return root


def test_image_folder_pairs_by_stem_and_leaves_out_unannotated(image_folder, caplog):
    with caplog.at_level(logging.WARNING):
        ds = open_dataset(image_folder)
    assert ds.ids() == ["a", "b"] and len(ds) == 2 and ds.kind == "images" and ds.name == "people"
    assert "1 of 3 images have no annotation" in caplog.text
    a, b = list(ds)
    assert a.mask.dtype == bool and a.mask.sum() == 4 * 6 and a.mask[2, 3] and not a.mask[6, 3]
    assert b.mask.sum() == 12 * 4  # a 0/1 mask is read as well as a 0/255 one
    assert a.load_image().shape == (12, 16, 3)
    assert a.instances is None and a.parts is None and a.sequence is None


def test_index_holds_paths_only(image_folder):
    ds = open_dataset(image_folder)
    assert all(isinstance(e, Entry) and isinstance(e.image, Path) for e in ds.entries)
    assert ds[0].mask is not ds[0].mask  # read anew each time, never cached


def test_split_by_option_and_by_name(image_folder):
    assert open_dataset(image_folder, split="val").ids() == ["b"]
    named = open_dataset("people-train", root=image_folder.parent)
    assert named.ids() == ["a"] and named.name == "people-train"
    with pytest.raises(InputError, match="no 'test' split; it names: train, val"):
        open_dataset(image_folder, split="test")


def test_limit_and_every(tmp_path):
    root = tmp_path / "many"
    for i in range(10):
        write_jpg(root / "images" / f"{i}.jpg")
        write_png(root / "masks" / f"{i}.png", box_mask((12, 16), 0, 1, 0, 1))
    assert open_dataset(root, every=3).ids() == ["0", "3", "6", "9"]
    assert open_dataset(root, every=3, limit=2).ids() == ["0", "3"]
    with pytest.raises(InputError, match="every must be 1 or more"):
        open_dataset(root, every=0)


def test_instance_maps_give_mask_and_people(tmp_path):
    root = tmp_path / "crowd"
    write_jpg(root / "images" / "x.jpg")
    instances = np.zeros((12, 16), np.uint8)
    instances[1:4, 1:4] = 1
    instances[5:9, 8:12] = 2
    write_png(root / "instances" / "x.png", instances)
    ds = open_dataset(root)
    sample = ds[0]
    assert ds.has_instances and sample.people == 2
    assert sample.mask.sum() == 9 + 16
    assert [m.sum() for m in sample.instance_masks()] == [9, 16]


def test_part_maps_with_a_label_file(tmp_path):
    root = tmp_path / "parsing"
    write_jpg(root / "images" / "p.jpg")
    parts = np.zeros((12, 16), np.uint8)
    parts[2:5, 2:5] = 2
    parts[6:8, 2:5] = 13
    write_png(root / "parts" / "p.png", parts)
    (root / "labels.txt").write_text("0 background\n1 hat\n2 hair\n13 face\n")
    sample = open_dataset(root)[0]
    assert sample.parts.names[2] == "hair" and sample.parts.names[13] == "face" and sample.parts.names[5] == "label5"
    assert sample.mask.sum() == 9 + 6  # no masks/: person = any part
    assert sample.parts.labels[3, 3] == 2


def test_parts_without_label_file_get_generic_names(tmp_path):
    root = tmp_path / "parsing"
    write_jpg(root / "images" / "p.jpg")
    write_png(root / "parts" / "p.png", box_mask((12, 16), 0, 2, 0, 2, value=3))
    assert open_dataset(root)[0].parts.names == ("label0", "label1", "label2", "label3")


def test_label_file_formats():
    assert parse_label_names(["0 null", "1 accessories", "19 hair"])[19] == "hair"
    assert parse_label_names(["background", "hat"]) == ("background", "hat")
    with pytest.raises(InputError, match="no label names"):
        parse_label_names(["", "# comment"])


def test_video_folder_streams_frames_in_natural_order(tmp_path):
    root = tmp_path / "clips"
    for seq, frames in (("walk", ["10", "2", "1"]), ("jump", ["0", "1"])):
        for f in frames:
            write_jpg(root / seq / "images" / f"{f}.jpg")
            write_png(root / seq / "masks" / f"{f}.png", box_mask((12, 16), 0, 3, 0, 3))
    ds = open_dataset(root)
    assert ds.is_video and len(ds) == 5
    assert ds.ids() == ["jump/0", "jump/1", "walk/1", "walk/2", "walk/10"]
    frames = [(s.sequence, s.frame) for s in ds]
    assert frames == [("jump", 0), ("jump", 1), ("walk", 0), ("walk", 1), ("walk", 2)]
    one = open_dataset("clips/walk", root=tmp_path, video=True)
    assert one.is_video and one.ids() == ["walk/1", "walk/2", "walk/10"]


def test_folder_without_annotations_is_person_free(tmp_path):
    root = tmp_path / "empty_scenes"
    write_jpg(root / "images" / "swan.jpg", shape=(20, 30))
    ds = open_dataset(root)
    assert ds.person_free and not ds.is_video
    sample = ds[0]
    assert sample.mask.shape == (20, 30) and not sample.mask.any()


def test_mask_of_another_size_is_refused_on_load(tmp_path):
    root = tmp_path / "bad"
    write_jpg(root / "images" / "a.jpg", shape=(12, 16))
    write_png(root / "masks" / "a.png", np.zeros((10, 10), np.uint8))
    with pytest.raises(InputError, match="image is 16x12 but its mask is 10x10"):
        open_dataset(root)[0].load_image()


def test_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="no such data set folder"):
        open_dataset(tmp_path / "nowhere")
    (tmp_path / "flat").mkdir()
    with pytest.raises(InputError, match="holds no images/ folder"):
        open_dataset(tmp_path / "flat")
    with pytest.raises(InputError, match="unknown data set 'nosuch'.*ccp-val"):
        open_dataset("nosuch", root=tmp_path)
    with pytest.raises(InputError, match=r"'ccp-val': .*ccp is missing; .*BODYSEG_DATASETS"):
        open_dataset("ccp-val", root=tmp_path)
    monkeypatch.setenv("BODYSEG_DATASETS", str(tmp_path / "gone"))
    with pytest.raises(InputError, match="BODYSEG_DATASETS=.*gone is not a folder"):
        open_dataset("ccp-val")


def coco_json(tmp_path: Path) -> Path:
    """Two images: one with a polygon person, an RLE person, a crowd and a dog; one with a dog only."""
    h, w = 20, 30
    rle_mask = np.zeros((h, w), np.uint8, order="F")
    rle_mask[10:18, 20:26] = 1
    rle = mask_utils.encode(np.asfortranarray(rle_mask))
    rle["counts"] = rle["counts"].decode("ascii")
    crowd = mask_utils.encode(np.asfortranarray(box_mask((h, w), 0, 3, 0, 30, value=1)))
    crowd["counts"] = crowd["counts"].decode("ascii")
    keypoints = [5.0, 5.0, 2] + [0, 0, 0] * 16
    data = {
        "images": [
            {"id": 7, "file_name": "seven.jpg", "height": h, "width": w},
            {"id": 8, "file_name": "eight.jpg", "height": h, "width": w},
        ],
        "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 7,
                "category_id": 1,
                "iscrowd": 0,
                "segmentation": [[2, 4, 10, 4, 10, 14, 2, 14]],
                "area": 80,
                "bbox": [2, 4, 8, 10],
                "keypoints": keypoints,
            },
            {
                "id": 2,
                "image_id": 7,
                "category_id": 1,
                "iscrowd": 0,
                "segmentation": rle,
                "area": 48,
                "bbox": [20, 10, 6, 8],
                "keypoints": keypoints,
            },
            {
                "id": 3,
                "image_id": 7,
                "category_id": 1,
                "iscrowd": 1,
                "segmentation": crowd,
                "area": 90,
                "bbox": [0, 0, 30, 3],
            },
            {
                "id": 4,
                "image_id": 7,
                "category_id": 18,
                "iscrowd": 0,
                "segmentation": [[12, 0, 18, 0, 18, 6, 12, 6]],
                "area": 36,
                "bbox": [12, 0, 6, 6],
            },
            {
                "id": 5,
                "image_id": 8,
                "category_id": 18,
                "iscrowd": 0,
                "segmentation": [[1, 1, 5, 1, 5, 5]],
                "area": 8,
                "bbox": [1, 1, 4, 4],
            },
        ],
    }
    path = tmp_path / "coco" / "annotations.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    for name in ("seven.jpg", "eight.jpg"):
        write_jpg(tmp_path / "coco" / "images" / name, shape=(h, w))
    return path


def test_coco_json_polygon_and_rle(tmp_path):
    path = coco_json(tmp_path)
    ds = open_dataset(path)
    assert ds.ids() == ["seven"] and ds.has_instances  # the dog-only image is left out
    sample = ds[0]
    assert sample.people == 2
    polygon, rle = sample.instance_masks()
    assert rle.sum() == 48 and rle[10:18, 20:26].all()
    assert 60 <= polygon.sum() <= 110 and polygon[8, 6] and not polygon[0, 0]
    assert not sample.mask[0:3, 12:18].any()  # crowd and dog are not person
    assert sample.keypoints.shape == (2, 17, 3) and sample.keypoints[0, 0, 2] == 2
    assert sample.load_image().shape == (20, 30, 3)
    assert len(open_coco(path, include_empty=True)) == 2


def test_coco_errors(tmp_path):
    path = coco_json(tmp_path)
    with pytest.raises(InputError, match="no category 'cat'; its categories are: dog, person"):
        open_coco(path, category="cat")
    bad = tmp_path / "bad.json"
    bad.write_text('{"images": 3}')
    with pytest.raises(InputError, match="not a COCO instance JSON"):
        open_dataset(bad)


# --- the real data sets (skipped when ../shared/datasets is absent) ------------------------------


def test_ccp_splits_are_disjoint_and_carry_parts():
    dataset_path("ccp")
    val, train = open_dataset("ccp-val", root=DATASETS), open_dataset("ccp-train", root=DATASETS)
    assert (len(val), len(train)) == (200, 804) and not set(val.ids()) & set(train.ids())
    sample = val[0]
    assert sample.parts.names[19] == "hair" and sample.parts.names[41] == "skin"
    assert sample.mask.shape == sample.parts.labels.shape == sample.load_image().shape[:2]
    assert 0.05 < sample.mask.mean() < 0.8


def test_davis_is_four_sequences_in_frame_order():
    dataset_path("davis_person")
    ds = open_dataset("davis_person", root=DATASETS)
    assert ds.is_video and len(ds) == 314
    sequences = [e.sequence for e in ds.entries]
    assert sorted(set(sequences)) == ["breakdance", "dance-twirl", "lucia", "tennis"]
    lucia = [e for e in ds.entries if e.sequence == "lucia"]
    assert [e.frame for e in lucia] == list(range(70)) and lucia[0].id == "lucia/00000"


def test_coco_person_instances_count_the_people():
    dataset_path("coco_person")
    ds = open_dataset("coco_person", root=DATASETS)
    assert ds.has_instances and len(ds) == 61
    sample = ds[0]
    assert sample.people >= 1 and np.array_equal(sample.mask, sample.instances > 0)


def test_backgrounds_are_person_free():
    dataset_path("backgrounds")
    ds = open_dataset("backgrounds", root=DATASETS)
    assert ds.person_free and len(ds) == 84
    assert not ds[0].mask.any() and ds[0].mask.shape == ds[0].load_image().shape[:2]


@pytest.mark.parametrize("name", ["camvid_person", "pfcn_portrait", "picsart_portrait", "cihp_samples"])
def test_every_known_folder_opens(name):
    dataset_path(KNOWN_DATASETS[name].folder)
    ds = open_dataset(name, root=DATASETS, limit=2)
    sample = ds[1]
    assert len(ds) == 2 and sample.mask.any() and sample.mask.shape == sample.load_image().shape[:2]
    if name == "cihp_samples":
        assert read_label_names(DATASETS / "cihp_samples" / "labels.txt")[13] == "face"


def test_label_file_of_the_parent_folder_names_both_splits(tmp_path):
    root = tmp_path / "parsing"
    for split in ("train", "val"):
        write_jpg(root / split / "images" / "p.jpg")
        write_png(root / split / "parts" / "p.png", box_mask((12, 16), 0, 2, 0, 2, value=2))
    (root / "labels.txt").write_text("0 background\n1 hat\n2 hair\n")
    assert open_dataset(root / "val")[0].parts.names == ("background", "hat", "hair")


def test_viton_splits_are_disjoint_and_carry_lip_parts():
    dataset_path("viton_parts")
    val, train = open_dataset("viton-val", root=DATASETS), open_dataset("viton-train", root=DATASETS)
    assert (len(val), len(train)) == (400, 3600) and not set(val.ids()) & set(train.ids())
    sample = val[0]
    assert sample.parts.names[13] == "face" and len(sample.parts.names) == 20
    assert np.array_equal(sample.mask, sample.parts.labels > 0)
    assert sample.parts.labels.shape == sample.load_image().shape[:2] == (256, 192)


def test_cihp_samples_by_its_dashed_name_carry_parts():
    dataset_path("cihp_samples")
    ds = open_dataset("cihp-samples", root=DATASETS)
    assert len(ds) == 5 and ds[0].parts.names[14] == "left-arm"
