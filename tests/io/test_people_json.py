"""COCO people documents: keypoint flags, boxes and areas, and that pycocotools reads them."""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import numpy as np
import pytest

from bodyseg.io.coco_rle import decode_mask
from bodyseg.io.people_json import PERSON_CATEGORY, coco_keypoint_list, people_document, person_annotation
from bodyseg.result import POSE_LANDMARKS, Person, Segmentation


def two_people() -> Segmentation:
    a = np.zeros((30, 40), bool)
    a[2:12, 3:9] = True
    b = np.zeros((30, 40), bool)
    b[15:29, 20:39] = True
    keypoints = np.zeros((33, 3), np.float32)
    keypoints[:, 0], keypoints[:, 1], keypoints[:, 2] = 5.0, 6.0, 0.9
    keypoints[1, 2] = 0.2  # inside, thought hidden
    keypoints[2, :2] = (45.0, 6.0)  # outside the 40 px wide image
    return Segmentation(
        prob=(a | b).astype(np.float32),
        people=[
            Person(mask=a, box=(3, 2, 9, 12), score=0.9, keypoints=keypoints),
            Person(mask=b, box=(0, 0, 40, 30), score=0.6),
        ],
    )


def test_keypoint_flags_follow_coco():
    flat, labelled = coco_keypoint_list(two_people().people[0].keypoints, (30, 40))
    assert len(flat) == 99 and labelled == 32
    assert flat[:9] == [5.0, 6.0, 2, 5.0, 6.0, 1, 0.0, 0.0, 0]


def test_annotation_box_and_area_come_from_the_mask():
    ann = person_annotation(two_people().people[1], annotation_id=7)
    assert ann["bbox"] == [20, 15, 19, 14] and ann["area"] == 14 * 19  # not the looser Person.box
    assert ann["id"] == 7 and ann["category_id"] == 1 and "keypoints" not in ann


def test_document_is_json_and_pycocotools_reads_it(tmp_path):
    seg = two_people()
    doc = json.loads(json.dumps(people_document(seg, "photo.jpg")))
    assert doc["images"] == [{"id": 1, "file_name": "photo.jpg", "width": 40, "height": 30}]
    assert doc["categories"][0]["keypoints"] == list(POSE_LANDMARKS) == PERSON_CATEGORY["keypoints"]
    assert [a["id"] for a in doc["annotations"]] == [1, 2]
    for ann, person in zip(doc["annotations"], seg.people, strict=False):
        np.testing.assert_array_equal(decode_mask(ann["segmentation"]), person.mask)
    coco_module = pytest.importorskip("pycocotools.coco")
    path = tmp_path / "people.json"
    path.write_text(json.dumps(doc))
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        coco = coco_module.COCO(str(path))
        masks = [coco.annToMask(a).astype(bool) for a in coco.loadAnns(coco.getAnnIds(imgIds=[1]))]
    np.testing.assert_array_equal(masks[0], seg.people[0].mask)
    np.testing.assert_array_equal(masks[1], seg.people[1].mask)


def test_no_people_gives_no_annotations():
    doc = people_document(Segmentation(prob=np.zeros((4, 4), np.float32)), "empty.png")
    assert doc["annotations"] == [] and doc["images"][0]["width"] == 4
