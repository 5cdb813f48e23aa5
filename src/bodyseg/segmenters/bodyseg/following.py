"""Video: following people from one frame to the next without the detectors (MediaPipe's tracking),
and which people a frame's result hands on to the next.

Example:
    >>> FOLLOW_KEY
    'landmark_rois'
"""

from __future__ import annotations

import dataclasses

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


def follow_people(
    rgb: np.ndarray, previous: Segmentation, landmarks: LandmarkModel, min_presence: float, redetect_on: str
) -> list[tuple[float, LandmarkResult]] | None:
    """(score, person) of the people ``previous`` hands on (:data:`FOLLOW_KEY`), each found again by
    the landmark model on the region its last landmarks suggest; None when a full run is needed:
    nobody was handed on or found again, or someone was lost and ``redetect_on`` is ``"anyone-lost"``."""
    found = []
    for entry in previous.meta.get(FOLLOW_KEY) or ():
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
) -> list[dict]:
    """What a frame hands on to the next (:data:`FOLLOW_KEY`): an entry per person found (``found``,
    with their assembled ``people``), bystanders left out unless ``follow_bystanders``, and people
    without landmarks (:data:`~bodyseg.segmenters.bodyseg.finder.SELFIE_FOUND`) always."""
    found_by = [person.found_by for _, person in found]
    chosen = [True] * len(found) if follow_bystanders else not_bystanders(people, found_by, min_height, subject_height)
    return [
        {
            "roi": dataclasses.astuple(person.next_roi()),
            "detector_score": score / max(person.presence, 1e-6),
            "found_by": person.found_by,
        }
        for (score, person), keep in zip(found, chosen, strict=True)
        if keep and person.found_by != SELFIE_FOUND
    ]


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
