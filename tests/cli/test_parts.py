"""``bodyseg parts``: a PNG of part ids and an overlay per image; ``segment --people`` with part RLEs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from bodyseg.cli import main
from bodyseg.io.coco_rle import decode_mask
from bodyseg.parts import BODY, LIP


def run(*args: object) -> int:
    return main([str(a) for a in args])


def test_parts_writes_ids_of_the_input_size_inside_the_default_mask_and_an_overlay(photo):
    assert run("parts", photo) == 0
    png = Image.open(photo.with_name("astronaut.parts.png"))
    labels = np.asarray(png)
    assert png.mode == "P" and labels.shape == (512, 512) and labels.max() < LIP.num_classes
    assert png.getpalette()[3 * 13 : 3 * 14] == list(LIP.colours[13])  # face drawn in LIP's colour
    assert {LIP.id_of("face"), LIP.id_of("hair")} & set(np.unique(labels).tolist())
    assert run("segment", photo) == 0
    mask = np.asarray(Image.open(photo.with_name("astronaut.mask.png"))) > 0
    inter, union = ((labels > 0) & mask).sum(), ((labels > 0) | mask).sum()
    assert inter / union > 0.98  # the part map's person is the default method's person
    overlay = Image.open(photo.with_name("astronaut.parts-overlay.jpg"))
    assert overlay.size[1] == 512 and overlay.size[0] > 512  # the legend to the right


def test_rerun_keeps_outputs_and_bad_input_fails_with_exit_2(photo, tmp_path):
    assert run("parts", photo, "-o", tmp_path / "out", "--scheme", "body") == 0
    target = tmp_path / "out" / "astronaut.parts.png"
    labels = np.asarray(Image.open(target))
    assert labels.max() < BODY.num_classes and (labels == BODY.id_of("head")).any()
    before = target.stat().st_mtime_ns
    assert run("parts", photo, "-o", tmp_path / "out", "--scheme", "body") == 0
    assert target.stat().st_mtime_ns == before
    (tmp_path / "notes.jpg").write_text("not a photo")
    assert run("parts", tmp_path / "notes.jpg") == 2
    assert not list(tmp_path.glob("notes.parts*"))
    with pytest.raises(SystemExit) as exit_info:  # argparse names the choices
        run("parts", photo, "--scheme", "coco")
    assert exit_info.value.code == 2


def test_segment_people_json_carries_each_persons_part_rles(photo):
    assert run("segment", photo, "--people", "--option", "parts=lip") == 0
    doc = json.loads(photo.with_name("astronaut.people.json").read_text())
    (person,) = doc["annotations"]
    mask = decode_mask(person["segmentation"])
    parts = person["parts"]
    assert parts["names"] == list(LIP.names)
    pieces = [decode_mask(entry["segmentation"]) for entry in parts["labels"]]
    assert all(entry["id"] > 0 for entry in parts["labels"])
    assert np.array_equal(np.logical_or.reduce(pieces), mask)  # the parts tile the person exactly
    assert sum(entry["area"] for entry in parts["labels"]) == person["area"]
