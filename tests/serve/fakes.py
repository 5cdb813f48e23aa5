"""Fake segmenters for the server tests: exact outputs, body parts, and a slow one."""

from __future__ import annotations

import time

import numpy as np

from bodyseg.result import Parts, Person, Segmentation, box_of_mask
from bodyseg.segmenters import Segmenter, register

PART_NAMES = ("background", "head", "body")


def centre_box(shape: tuple[int, int]) -> np.ndarray:
    """True in the middle half of the image (rows and columns 1/4..3/4)."""
    h, w = shape
    mask = np.zeros((h, w), bool)
    mask[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = True
    return mask


def centre_parts(shape: tuple[int, int]) -> np.ndarray:
    """Label map of the centre box: its top third 1 (head), the rest 2 (body), outside 0."""
    labels = centre_box(shape).astype(np.uint8) * 2
    h = shape[0]
    labels[: h // 4 + h // 6][labels[: h // 4 + h // 6] == 2] = 1
    return labels


class PartsSegmenter(Segmenter):
    """The centre box as one person, with head and body parts."""

    name = "test-serve-parts"

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        mask = centre_box(rgb.shape[:2])
        person = Person(mask=mask, box=box_of_mask(mask), score=0.9)
        parts = Parts(centre_parts(rgb.shape[:2]), PART_NAMES)
        return Segmentation(prob=mask.astype(np.float32), people=[person], parts=parts)


class SlowSegmenter(Segmenter):
    """The centre box, after sleeping ``seconds`` (to fill the server's workers)."""

    name = "test-serve-slow"

    def __init__(self, seconds: float = 1.0) -> None:
        self.seconds = seconds

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        time.sleep(self.seconds)
        return Segmentation(prob=centre_box(rgb.shape[:2]).astype(np.float32))


def register_fakes() -> None:
    # not people=True: other tests list the methods that find people, and a fake must not show there
    register("test-serve-parts", "tests.serve.fakes:PartsSegmenter", "test only: centre box with parts")
    register("test-serve-slow", "tests.serve.fakes:SlowSegmenter", "test only: centre box after a sleep")
