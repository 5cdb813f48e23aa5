"""What the default method and its fast mode share: the models, the edges, the face check and the
close-up fallback (the selfie model's mask when a face but no body is seen).

Example:
    >>> CLOSE_UP_KEY
    'close_up_selfie'
"""

from __future__ import annotations

import cv2
import numpy as np

from bodyseg.refine.edges import EDGE_REFINERS, refine_edges
from bodyseg.result import Person, Segmentation, box_of_mask
from bodyseg.segmenters.base import Segmenter
from bodyseg.segmenters.bodyseg.loading import PipelineModels
from bodyseg.segmenters.options import check_choice, check_int

#: ``Segmentation.meta`` key set when no body but a face was seen and the selfie model's mask was kept.
CLOSE_UP_KEY = "close_up_selfie"


class PipelineSegmenter(Segmenter):
    """What both modes share: the models, the edges and the close-up fallback."""

    def __init__(self, models: PipelineModels, edges: str, max_people: int) -> None:
        self.edges = check_choice("edges", edges, EDGE_REFINERS)
        if edges == "crf":
            from bodyseg.refine.crf import import_densecrf

            import_densecrf()  # a missing package fails now, naming what to install
        self.max_people = check_int("max_people", max_people, 1, 1000)
        self.models = models

    def _sees_face(self, rgb: np.ndarray) -> bool:
        """Whether the face detector finds a face: a close-up, when no body is seen."""
        return self.models.faces is not None and bool(self.models.faces.detect(rgb))

    def _selfie_at(self, rgb: np.ndarray) -> np.ndarray:
        """The selfie model's probability resized to the image."""
        h, w = rgb.shape[:2]
        return cv2.resize(self.models.selfie(rgb), (w, h), interpolation=cv2.INTER_LINEAR)

    def _close_up_selfie(self, rgb: np.ndarray) -> Segmentation:
        """When no body but a face is seen (a close-up the body detector and landmark model cannot
        take, even zoomed out): the selfie model's whole-frame mask, one person, no keypoints."""
        union = refine_edges(rgb, self._selfie_at(rgb), self.edges)
        mask = union > 0.5
        people = [Person(mask=mask, box=box_of_mask(mask), score=1.0)] if mask.any() else []
        return Segmentation(prob=union.astype(np.float32), people=people, meta={CLOSE_UP_KEY: True})
