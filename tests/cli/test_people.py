"""``bodyseg segment --people``: a mask and a COCO annotation per person, safe to re-run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from bodyseg.cli import main
from bodyseg.io.coco_rle import decode_mask


def run(*args: object) -> int:
    return main([str(a) for a in args])


def person_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("astronaut.person*.png"))


def test_people_masks_and_json_agree(photo):
    assert run("segment", photo, "--people") == 0
    mask = np.asarray(Image.open(photo.with_name("astronaut.mask.png"))) > 0
    files = person_files(photo.parent)
    assert [p.name for p in files] == ["astronaut.person01.png"]  # the astronaut, alone
    doc = json.loads(photo.with_name("astronaut.people.json").read_text())
    assert doc["images"] == [{"id": 1, "file_name": "astronaut.jpg", "width": 512, "height": 512}]
    assert doc["categories"][0]["id"] == 1 and doc["categories"][0]["name"] == "person"
    assert len(doc["annotations"]) == len(files)
    for ann, path in zip(doc["annotations"], files, strict=False):
        png = np.asarray(Image.open(path))
        assert png.shape == (512, 512) and set(np.unique(png)) <= {0, 255}
        person = png > 0
        np.testing.assert_array_equal(decode_mask(ann["segmentation"]), person)
        assert ann["area"] == person.sum() > 0.2 * 512 * 512
        x, y, w, h = ann["bbox"]
        assert person[y : y + h, x : x + w].sum() == ann["area"] and person[y, x : x + w].any()
        assert not (person & ~mask).any()  # each person lies inside the image's mask
        assert person[110, 230]  # the face
        assert len(ann["keypoints"]) == 99 and 10 <= ann["num_keypoints"] <= 33 and 0 < ann["score"] <= 1


def test_method_without_people_fails_before_any_work(photo, capsys):
    assert run("segment", photo, "--people", "-m", "mediapipe-selfie") == 2
    err = capsys.readouterr().err
    assert "--people needs a method that finds each person (bodyseg, bodyseg-fast" in err and "mediapipe-selfie" in err
    assert sorted(p.name for p in photo.parent.iterdir()) == ["astronaut.jpg"]


def test_people_files_are_kept_without_overwrite_and_stale_ones_go_with_it(photo, capsys):
    out = photo.parent / "out"
    assert run("segment", photo, "--people", "-o", out / "a.png") == 0
    json_path, person = out / "a.people.json", out / "a.person01.png"
    assert json_path.is_file() and person.is_file()
    (out / "a.png").unlink()  # the mask is gone, but the people files are still there
    json_path.write_text("precious")
    assert run("segment", photo, "--people", "-o", out / "a.png") == 2
    assert "a.people.json: exists already; pass --overwrite" in capsys.readouterr().err
    assert json_path.read_text() == "precious" and not (out / "a.png").exists()
    stale = out / "a.person02.png"
    shutil.copyfile(person, stale)  # as if an earlier run had found two people
    assert run("segment", photo, "--people", "-o", out / "a.png", "--overwrite") == 0
    assert json.loads(json_path.read_text())["annotations"] and not stale.exists()
    assert sorted(p.name for p in out.iterdir()) == ["a.people.json", "a.person01.png", "a.png"]


def test_folder_runs_skip_person_masks(photo):
    (photo.parent / "astronaut.person01.png").write_bytes(b"not an input")
    assert run("segment", photo.parent, "-m", "mediapipe-selfie") == 0
    assert not photo.with_name("astronaut.person01.mask.png").exists()
