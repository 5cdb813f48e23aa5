"""People only the face-free finder sees: each NanoDet box the people already found do not cover is
checked by the landmark model (on the image greyed around the box, upright, else upside down); a
confident box it cannot read gets the selfie model's mask instead.

Example:
    >>> SELFIE_FOUND
    'nanodet+selfie'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from bodyseg.geometry import RotatedSquare, box_area
from bodyseg.models.nanodet import NanoDetPersons, NanoDetView, non_max_suppression
from bodyseg.models.pose_landmarks import LandmarkModel, LandmarkResult
from bodyseg.result import box_of_mask
from bodyseg.segmenters.bodyseg.masks import SELFIE_FOUND, segment_person
from bodyseg.segmenters.bodyseg.people import detections_from_boxes, isolate_box, selfie_in_box, unseen_boxes

#: A face-free box overlapping a found person's box by more than this is that person again, not
#: checked (:func:`~bodyseg.segmenters.bodyseg.people.unseen_boxes`).
MAX_IOU = 0.6
#: With isolation, the share of a face-free box's width and height kept around it (margins of 0.1,
#: 0.2 and 0.3 scored within 0.005 of each other on coco, davis and camvid).
ISOLATE_MARGIN = 0.2
#: NanoDet's least score for a box the landmark model rejected to get the selfie model's mask (0.4
#: and 0.5 measured: 0.4 found more on davis and camvid, no more on the person-free scenes; NanoDet's
#: own threshold is the method's ``finder_min_score``) ...
SELFIE_MIN_SCORE = 0.4
#: ... and the least share of the box the selfie model's mask must fill (below it, it saw nobody).
SELFIE_MIN_FILL = 0.1


def find_unseen_people(
    rgb: np.ndarray,
    found: list[tuple[float, LandmarkResult]],
    view: NanoDetView,
    landmarks: LandmarkModel,
    *,
    min_presence: float,
    min_height: float,
    max_iou: float,
    subject_height: float = 0.0,
    isolate_margin: float | None = None,
    selfie: Callable[[np.ndarray], np.ndarray] | None = None,
    selfie_min_score: float = SELFIE_MIN_SCORE,
    selfie_min_fill: float = SELFIE_MIN_FILL,
) -> list[tuple[float, LandmarkResult]]:
    """(score, person) of the people NanoDet sees (``view``) where nobody in ``found`` is yet.

    A box is checked when the people found cover less than half of it, it overlaps none of their
    boxes by more than ``max_iou``, and it is at least ``min_height`` of the tallest one's height
    (shorter ones are bystanders). The landmark model checks it on the box's square, upright or else
    upside down, on the image greyed outside the box grown by ``isolate_margin`` (None: the image as
    it is). The height rule holds only when the tallest one is a main subject, at least ``subject_height``
    of the image tall (:func:`bystander_height`): in a street scene where everyone is small, every box
    is checked. A person it is sure of (``min_presence``) is kept, scored NanoDet x presence. A box it
    rejects both ways that NanoDet scores ``selfie_min_score`` or more gets, with ``selfie``, the
    selfie model's mask inside it (:func:`selfie_person`) when that fills ``selfie_min_fill`` of the box,
    unless only a tile of the image saw it (``PersonBox.tiled``).
    """
    covered = np.zeros(rgb.shape[:2], bool)
    found_boxes = []
    for _, person in found:
        mask = person.prob > 0.5
        covered |= mask
        found_boxes.append(box_of_mask(mask))
    tallest = max((float(y1 - y0) for _, y0, _, y1 in found_boxes), default=0.0)
    boxes = unseen_boxes([(p.score, p.box) for p in view.people], covered, found_boxes=found_boxes, max_iou=max_iou)
    least = bystander_height(tallest, rgb.shape[0], min_height, subject_height)
    boxes = [(score, box) for score, box in boxes if box[3] - box[1] >= least]
    # boxes only a tile saw get no selfie mask: on person-free scenes they were birds and figurines
    tiled = {id(p.box) for p in view.people if p.tiled}
    more = []
    for (score, box), upright, turned in zip(
        boxes, detections_from_boxes(boxes), detections_from_boxes(boxes, turned=True), strict=True
    ):
        seen = rgb if isolate_margin is None else isolate_box(rgb, box, isolate_margin)
        for det in (upright, turned):
            person = segment_person(seen, det, landmarks, second_pass=True)
            if person.presence >= min_presence:
                more.append((det.score * person.presence, dataclasses.replace(person, found_by="nanodet")))
                break
        else:
            if selfie is not None and score >= selfie_min_score and id(box) not in tiled:
                person = selfie_person(seen, box, selfie, min_presence)
                if np.count_nonzero(person.prob > 0.5) >= selfie_min_fill * box_area(box):
                    more.append((score * min_presence, person))
    return more


def look_in_tiles(
    rgb: np.ndarray, found: list[tuple[float, LandmarkResult]], view: NanoDetView, finder: NanoDetPersons, below: float
) -> NanoDetView:
    """``view`` with the people NanoDet finds in 2 x 2 tiles of the image added (non-maximum suppressed
    together, :meth:`~bodyseg.models.nanodet.NanoDetPersons.detect_in_tiles`) when nobody found or seen
    is ``below`` the image's height or taller: a scene of small people, where the whole-image view at
    416 px misses those under about 60 pixels. ``view`` as it is otherwise (and with ``below`` 0).

    Example:
        >>> from bodyseg.models.nanodet import PersonBox
        >>> big = NanoDetView([PersonBox(0.9, np.array([0.0, 0.0, 50.0, 90.0]))], np.zeros((0, 2)), np.zeros((0, 80)))
        >>> look_in_tiles(np.zeros((100, 100, 3), np.uint8), [], big, finder=None, below=0.3) is big  # someone tall
        True
    """
    heights = [float(p.box[3] - p.box[1]) for p in view.people]
    heights += [float(y1 - y0) for _, y0, _, y1 in (box_of_mask(p.prob > 0.5) for _, p in found)]
    if below <= 0 or max(heights, default=0.0) >= below * rgb.shape[0]:
        return view
    people = sorted(view.people + finder.detect_in_tiles(rgb), key=lambda p: -p.score)
    return dataclasses.replace(view, people=non_max_suppression(people, finder.iou_threshold))


def bystander_height(tallest: float, image_height: float, min_height: float, subject_height: float) -> float:
    """The least box height of a person only the face-free finder sees who is not a bystander:
    ``min_height`` times the ``tallest`` person's height, when that person is a main subject (at least
    ``subject_height`` of ``image_height`` tall); 0 (everyone kept) when everyone is small.

    Example:
        >>> bystander_height(300, 480, 0.7, 0.4)  # a main subject: shorter than 210 px are bystanders
        210.0
        >>> bystander_height(150, 480, 0.7, 0.4)  # a street scene: nobody is a bystander
        0.0
        >>> bystander_height(150, 480, 0.7, 0.0)  # subject_height 0: the height rule always holds
        105.0
    """
    return min_height * tallest if tallest >= subject_height * image_height else 0.0


def selfie_person(
    rgb: np.ndarray, box: np.ndarray, selfie: Callable[[np.ndarray], np.ndarray], presence: float
) -> LandmarkResult:
    """A person the landmark model could not read: the selfie model's mask in ``box``
    (:func:`~bodyseg.segmenters.bodyseg.people.selfie_in_box`), no keypoints, ``found_by`` :data:`SELFIE_FOUND`.

    Example:
        >>> full = lambda crop: np.ones(crop.shape[:2], np.float32)
        >>> person = selfie_person(np.zeros((40, 60, 3), np.uint8), np.array([20.0, 10.0, 30.0, 30.0]), full, 0.7)
        >>> int((person.prob > 0.5).sum()), person.found_by, float(person.keypoints[:, 2].max())
        (200, 'nanodet+selfie', 0.0)
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    centre, top = [(x0 + x1) / 2, (y0 + y1) / 2], [(x0 + x1) / 2, y0]
    return LandmarkResult(
        keypoints=np.zeros((33, 3), np.float32),  # visibility 0: none known
        presence=presence,
        prob=selfie_in_box(rgb, box, selfie),
        roi=RotatedSquare(centre[0], centre[1], max(x1 - x0, y1 - y0), 0.0),
        alignment=np.array([centre, top], np.float32),
        found_by=SELFIE_FOUND,
    )
