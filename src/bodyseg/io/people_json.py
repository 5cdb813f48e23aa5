"""A Segmentation in interchange formats: COCO-style instance JSON for the people found.

One image per document; each person is an annotation with its mask as a compressed COCO RLE
(:mod:`bodyseg.io.coco_rle`), area, box, score and, when the method gives them, its keypoints.
Keypoints follow COCO's flags: 2 for a point inside the image the model sees
(visibility >= :data:`~bodyseg.pose.skeleton.MIN_VISIBILITY`), 1 for a point inside the image it
thinks hidden, and 0 (with x = y = 0) for a point outside the image; ``num_keypoints`` counts the
points with a flag above 0. The model's raw visibilities are kept in ``keypoint_scores``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bodyseg.io.coco_rle import encode_mask
from bodyseg.pose.skeleton import LIMB_INDICES, MIN_VISIBILITY
from bodyseg.result import POSE_LANDMARKS, Person, Segmentation, box_of_mask

#: The one category of a bodyseg people document, with the 33 keypoint names and the skeleton
#: (1-based keypoint pairs, as COCO writes them).
PERSON_CATEGORY: dict[str, Any] = {
    "id": 1,
    "name": "person",
    "supercategory": "person",
    "keypoints": list(POSE_LANDMARKS),
    "skeleton": [[a + 1, b + 1] for a, b in LIMB_INDICES],
}


def coco_keypoint_list(keypoints: np.ndarray, shape: tuple[int, int]) -> tuple[list[float], int]:
    """Flat COCO ``[x, y, v, ...]`` of Kx3 ``(x, y, visibility)`` keypoints, and how many have v > 0.

    Example:
        >>> kp = np.array([[10.0, 5.0, 0.9], [3.0, 4.0, 0.1], [-2.0, 4.0, 0.9]], np.float32)
        >>> coco_keypoint_list(kp, (20, 20))
        ([10.0, 5.0, 2, 3.0, 4.0, 1, 0.0, 0.0, 0], 2)
    """
    h, w = shape
    flat: list[float] = []
    labelled = 0
    for x, y, visibility in np.asarray(keypoints, np.float64):
        inside = bool(np.isfinite(x) and np.isfinite(y) and 0 <= x < w and 0 <= y < h)
        flag = (2 if visibility >= MIN_VISIBILITY else 1) if inside else 0
        flat += [round(float(x), 2), round(float(y), 2), flag] if inside else [0.0, 0.0, 0]
        labelled += int(flag > 0)
    return flat, labelled


def part_rles(labels: np.ndarray, names: tuple[str, ...] | list[str], *, skip_background: bool = False) -> dict:
    """``{"names", "labels": [{"id", "name", "area", "segmentation"}]}``: one COCO RLE per label present.

    Example:
        >>> doc = part_rles(np.array([[0, 2], [2, 2]], np.uint8), ("background", "hat", "hair"), skip_background=True)
        >>> [(entry["name"], entry["area"]) for entry in doc["labels"]]
        [('hair', 3)]
    """
    labels = np.asarray(labels)
    return {
        "names": list(names),
        "labels": [
            {
                "id": int(i),
                "name": names[i] if i < len(names) else str(i),
                "area": int(np.count_nonzero(labels == i)),
                "segmentation": encode_mask(labels == i),
            }
            for i in np.unique(labels)
            if i > 0 or not skip_background
        ],
    }


def person_annotation(person: Person, annotation_id: int, image_id: int = 1) -> dict[str, Any]:
    """One COCO annotation of a person: RLE mask, area, ``[x, y, w, h]`` box of the mask, score,
    keypoints when the person has them, and ``parts`` (one RLE per part, :func:`part_rles`) when
    the method gave parts.

    Example:
        >>> m = np.zeros((4, 5), bool); m[1:3, 2:4] = True
        >>> ann = person_annotation(Person(mask=m, box=(2, 1, 4, 3), score=0.8), 1)
        >>> ann["area"], ann["bbox"], ann["segmentation"]["size"]
        (4, [2, 1, 2, 2], [4, 5])
    """
    x0, y0, x1, y1 = box_of_mask(person.mask)
    annotation: dict[str, Any] = {
        "id": annotation_id,
        "image_id": image_id,
        "category_id": PERSON_CATEGORY["id"],
        "segmentation": encode_mask(person.mask),
        "area": int(np.count_nonzero(person.mask)),
        "bbox": [x0, y0, x1 - x0, y1 - y0],
        "iscrowd": 0,
        "score": round(float(person.score), 4),
    }
    if person.keypoints is not None:
        flat, labelled = coco_keypoint_list(person.keypoints, person.mask.shape)
        annotation["keypoints"] = flat
        annotation["num_keypoints"] = labelled
        annotation["keypoint_scores"] = [round(float(v), 4) for v in np.asarray(person.keypoints)[:, 2]]
    if person.parts is not None:
        annotation["parts"] = part_rles(person.parts.labels, person.parts.names, skip_background=True)
    return annotation


def people_document(seg: Segmentation, file_name: str, image_id: int = 1) -> dict[str, Any]:
    """A COCO instance document (``images``, ``categories``, ``annotations``) of ``seg.people``.

    Example:
        >>> m = np.zeros((4, 5), bool); m[1:3, 2:4] = True
        >>> seg = Segmentation(prob=m.astype(np.float32), people=[Person(mask=m, box=(2, 1, 4, 3))])
        >>> doc = people_document(seg, "photo.jpg")
        >>> doc["images"], len(doc["annotations"])
        ([{'id': 1, 'file_name': 'photo.jpg', 'width': 5, 'height': 4}], 1)
    """
    h, w = seg.shape
    return {
        "images": [{"id": image_id, "file_name": file_name, "width": int(w), "height": int(h)}],
        "categories": [PERSON_CATEGORY],
        "annotations": [person_annotation(p, i + 1, image_id) for i, p in enumerate(seg.people)],
    }
