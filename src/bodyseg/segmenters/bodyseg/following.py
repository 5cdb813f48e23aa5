"""Video: following people from one frame to the next without the detectors (MediaPipe's tracking),
and which people a frame's result hands on to the next.

Example:
    >>> FOLLOW_KEY
    'landmark_rois'
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from bodyseg.geometry import RotatedSquare
from bodyseg.models.pose_landmarks import LandmarkModel, LandmarkResult
from bodyseg.result import Person, Segmentation
from bodyseg.segmenters.bodyseg.finder import SELFIE_FOUND, bystander_height

#: ``Segmentation.meta`` key of what a video's next frame follows: per person, the landmark
#: model's next region ``roi`` (cx, cy, side, angle) and the ``detector_score`` it started from.
FOLLOW_KEY = "landmark_rois"

#: When following people in video asks for a full run early (``redetect_on=``).
REDETECT_ON = ("everyone-lost", "anyone-lost")

#: Side of the grey thumbnail of a person's box that tells whether they moved.
THUMBNAIL_SIDE = 16
#: A followed person whose box's thumbnail differs from the last frame's by less than this (mean
#: absolute difference of grey levels, 0-255) is still: carried over without a landmark run...
STILL_TOLERANCE = 2.0
#: ... at most this many frames in a row (then read again, so a slow change is caught).
MAX_CARRIED = 2


def box_thumbnail(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A small grey float32 picture (:data:`THUMBNAIL_SIDE` square) of ``box`` (x0, y0, x1, y1) in ``rgb``.

    Example:
        >>> rgb = np.zeros((40, 60, 3), np.uint8); rgb[10:30, 20:40] = 200
        >>> thumb = box_thumbnail(rgb, (20, 10, 40, 30)); thumb.shape, float(thumb.mean())
        ((16, 16), 200.0)
    """
    x0, y0, x1, y1 = box
    crop = rgb[max(0, y0) : max(y0 + 1, y1), max(0, x0) : max(x0 + 1, x1)]
    step = max(1, min(crop.shape[:2]) // (4 * THUMBNAIL_SIDE))  # every few pixels: a thumbnail needs no more
    grey = cv2.cvtColor(np.ascontiguousarray(crop[::step, ::step]), cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (THUMBNAIL_SIDE, THUMBNAIL_SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)


def looks_still(rgb: np.ndarray, entry: dict) -> bool:
    """Whether the person an entry of :data:`FOLLOW_KEY` hands on may be carried over to ``rgb``: read
    fewer than :data:`MAX_CARRIED` frames ago and their box's thumbnail within :data:`STILL_TOLERANCE`.

    Example:
        >>> rgb = np.full((40, 60, 3), 90, np.uint8)
        >>> person = LandmarkResult(np.zeros((33, 3)), 0.9, np.zeros((40, 60)), None, np.zeros((2, 2)))
        >>> entry = {"person": person, "box": (20, 10, 40, 30), "thumbnail": box_thumbnail(rgb, (20, 10, 40, 30))}
        >>> looks_still(rgb, entry), looks_still(rgb + 5, entry)
        (True, False)
    """
    person = entry.get("person")
    if person is None or person.carried >= MAX_CARRIED:
        return False
    change = np.abs(box_thumbnail(rgb, entry["box"]) - entry["thumbnail"]).mean()
    return bool(change < STILL_TOLERANCE)


def follow_people(
    rgb: np.ndarray,
    previous: Segmentation,
    landmarks: LandmarkModel,
    min_presence: float,
    redetect_on: str,
    carry_still: bool = False,
) -> list[tuple[float, LandmarkResult]] | None:
    """(score, person) of the people ``previous`` hands on (:data:`FOLLOW_KEY`), each found again by
    the landmark model on the region its last landmarks suggest (with ``carry_still``, people whose box
    did not change, :func:`looks_still`, carried over as they were); None when a full run is needed:
    nobody was handed on or found again, or someone was lost and ``redetect_on`` is ``"anyone-lost"``."""
    found = []
    for entry in previous.meta.get(FOLLOW_KEY) or ():
        if carry_still and looks_still(rgb, entry):
            person = dataclasses.replace(entry["person"], carried=entry["person"].carried + 1)
            found.append((entry["detector_score"] * person.presence, person))
            continue
        person = landmarks.run(rgb, RotatedSquare(*entry["roi"]))
        if person.presence >= min_presence:
            person = dataclasses.replace(person, found_by=entry.get("found_by", person.found_by))
            found.append((entry["detector_score"] * person.presence, person))
        elif redetect_on == "anyone-lost":
            return None
    return found or None


def follow_entries(
    found: list[tuple[float, LandmarkResult]],
    people: list[Person],
    *,
    follow_bystanders: bool,
    min_height: float,
    subject_height: float = 0.0,
    rgb: np.ndarray | None = None,
) -> list[dict]:
    """What a frame hands on to the next (:data:`FOLLOW_KEY`): an entry per person found (``found``,
    with their assembled ``people``), bystanders left out unless ``follow_bystanders``, and people
    without landmarks (:data:`~bodyseg.segmenters.bodyseg.finder.SELFIE_FOUND`) always. With the
    frame (``rgb``), each entry also keeps the person, their box and its thumbnail, so that the next
    frame can carry a still person over (:func:`looks_still`)."""
    found_by = [person.found_by for _, person in found]
    chosen = [True] * len(found) if follow_bystanders else not_bystanders(people, found_by, min_height, subject_height)
    entries = []
    for (score, person), assembled, keep in zip(found, people, chosen, strict=True):
        if not keep or person.found_by == SELFIE_FOUND:
            continue
        entry = {
            "roi": dataclasses.astuple(person.next_roi()),
            "detector_score": score / max(person.presence, 1e-6),
            "found_by": person.found_by,
        }
        if rgb is not None:
            entry.update(person=person, box=assembled.box, thumbnail=box_thumbnail(rgb, assembled.box))
        entries.append(entry)
    return entries


def not_bystanders(
    people: list[Person], found_by: list[str], min_height: float, subject_height: float = 0.0
) -> list[bool]:
    """False for the bystanders among ``people``: seen only by the face-free finder (``found_by``
    ``"nanodet"``) with a box shorter than ``min_height`` times the tallest person's, when the tallest
    is at least ``subject_height`` of the image tall (:func:`~bodyseg.segmenters.bodyseg.finder.bystander_height`).

    Example:
        >>> def person(height): return Person(np.zeros((1, 1), bool), (0, 0, 10, height))
        >>> people = [person(100), person(50), person(80), person(40)]
        >>> not_bystanders(people, ["pose", "nanodet", "nanodet", "pose"], 0.7)
        [True, False, True, True]
        >>> def person(height): return Person(np.zeros((400, 1), bool), (0, 0, 10, height))
        >>> people = [person(100), person(50), person(80), person(40)]
        >>> not_bystanders(people, ["pose", "nanodet", "nanodet", "pose"], 0.7, 0.4)  # 100 < 0.4 x 400
        [True, True, True, True]
    """
    if not people:
        return []
    tallest = max(p.box[3] - p.box[1] for p in people)
    least = bystander_height(tallest, people[0].mask.shape[0], min_height, subject_height)
    return [by != "nanodet" or p.box[3] - p.box[1] >= least for p, by in zip(people, found_by, strict=True)]
