"""The default method's fast mode, ``bodyseg-fast``: the selfie model gated by the pose detector's people.

Example:
    >>> FastPeopleSegmenter.name
    'bodyseg-fast'
"""

from __future__ import annotations

import cv2
import numpy as np

from bodyseg.refine.edges import refine_edges
from bodyseg.result import Person, Segmentation, box_of_mask
from bodyseg.segmenters.bodyseg.loading import PipelineModels
from bodyseg.segmenters.bodyseg.masks import gate_by_people, nobody
from bodyseg.segmenters.bodyseg.shared import PipelineSegmenter
from bodyseg.segmenters.options import check_float


class FastPeopleSegmenter(PipelineSegmenter):
    """The default method's fast mode: the whole-frame selfie model, kept only inside the people the
    pose detector finds (or whole when it finds no body but the face detector sees a face: a
    close-up); no landmarks, no keypoints, no tiles: cheaper, and without most of the selfie
    model's false alarms on scenes without people.

    Args:
        min_score: person detector threshold.
        max_people: at most this many people (best first).
        face_min_score: face detector threshold for close-ups (``none``: never look for faces).
        edges: ``"guided"`` (default), ``"crf"`` or ``"none"`` (see :class:`PeopleSegmenter`).
        threads: threads each model may use.
        models: (Python only) the models to run instead of the shipped ones.

    Example:
        >>> seg = FastPeopleSegmenter().segment("photo.jpg")  # doctest: +SKIP
    """

    name = "bodyseg-fast"

    def __init__(
        self,
        min_score: float = 0.5,
        max_people: int = 20,
        face_min_score: float | str | None = 0.75,
        edges: str = "guided",
        threads: int = 1,
        models: PipelineModels | None = None,
    ) -> None:
        if models is None:
            face = None if face_min_score in (None, "none") else check_float("face_min_score", face_min_score, 0.0, 1.0)
            models = PipelineModels.load(
                min_score=check_float("min_score", min_score, 0.0, 1.0),
                face_min_score=face,
                refiner="none",
                landmarks=None,
                threads=threads,
                selfie=True,
            )
        super().__init__(models, edges, max_people)

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        detections = self.models.detector.detect(rgb)[: self.max_people]
        h, w = rgb.shape[:2]
        if not detections:
            return self._close_up_selfie(rgb) if self._sees_face(rgb) else nobody((h, w))
        small, owner = gate_by_people(self.models.selfie(rgb), detections, (h, w))
        union = refine_edges(rgb, cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), self.edges)
        owner = cv2.resize(owner.astype(np.int16), (w, h), interpolation=cv2.INTER_NEAREST)
        mask = union > 0.5
        people = [
            Person(mask=mask & (owner == i), box=box_of_mask(mask & (owner == i)), score=float(det.score))
            for i, det in enumerate(detections)
        ]
        return Segmentation(prob=union.astype(np.float32), people=[p for p in people if p.mask.any()])
