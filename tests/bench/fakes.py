"""Fake segmenters with exactly known outputs, and tiny data set folders, for bench and eval tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bodyseg.result import Person, Segmentation
from bodyseg.segmenters import Segmenter, register

#: Every test image is SIZE x SIZE; the fake predicts the box rows 0..9, columns 0..9.
SIZE = 20
BOX = (slice(0, 10), slice(0, 10))


class BoxSegmenter(Segmenter):
    """Calls the top-left 10x10 box person, always; counts its instances and calls.

    Args:
        people: also return the box as one separated person (score 0.9).
        fail_after: raise KeyboardInterrupt at this call (simulates Ctrl-C), counted over all instances.
    """

    name = "test-box"
    calls = 0
    created = 0
    fail_after: int | None = None

    def __init__(self, people: bool = False) -> None:
        type(self).created += 1
        self.people = people

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        cls = type(self)
        if cls.fail_after is not None and cls.calls >= cls.fail_after:
            raise KeyboardInterrupt
        cls.calls += 1
        prob = np.zeros(rgb.shape[:2], np.float32)
        prob[BOX] = 1.0
        people = [Person(mask=prob > 0.5, box=(0, 0, 10, 10), score=0.9)] if self.people else []
        return Segmentation(prob=prob, people=people)

    @classmethod
    def reset(cls) -> None:
        cls.calls = cls.created = 0
        cls.fail_after = None


@pytest.fixture
def fake_segmenter() -> Iterator[type[BoxSegmenter]]:
    """``test-box`` registered, its counters at zero (use with ``pytest.mark.usefixtures``)."""
    register("test-box", "tests.bench.fakes:BoxSegmenter", "test only: a fixed 10x10 box")
    BoxSegmenter.reset()
    yield BoxSegmenter
    BoxSegmenter.reset()


def box(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), bool)
    mask[y0:y1, x0:x1] = True
    return mask


#: Ground truths against the fake's box: IoU 1, 1/2, 0 and 1/3 (mean 0.458333, pooled 250/650).
TRUTHS = {"a": box(0, 10, 0, 10), "b": box(0, 10, 0, 20), "c": box(10, 20, 10, 20), "d": box(0, 10, 5, 15)}
MEAN_IOU = (1 + 0.5 + 0 + 1 / 3) / 4
POOLED_IOU = 250 / 650


def write_sample(folder: Path, stem: str, truth: np.ndarray | None, sub: str = "masks") -> None:
    """An image (random texture) and, unless ``truth`` is None, its mask under ``sub``."""
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(stem))
    Image.fromarray(rng.integers(0, 255, (SIZE, SIZE, 3), dtype=np.uint8)).save(folder / "images" / f"{stem}.png")
    if truth is not None:
        (folder / sub).mkdir(exist_ok=True)
        values = truth.astype(np.uint8) * (255 if sub == "masks" else 1)
        Image.fromarray(values).save(folder / sub / f"{stem}.png")


def make_image_set(root: Path) -> Path:
    """Four images with the :data:`TRUTHS` masks."""
    for stem, truth in TRUTHS.items():
        write_sample(root, stem, truth)
    return root


def make_video_set(root: Path, frames: int = 3) -> Path:
    """Two sequences: ``still`` (truth = the box every frame) and ``moving`` (truth slides right)."""
    for i in range(frames):
        write_sample(root / "still", f"{i:05d}", box(0, 10, 0, 10))
        write_sample(root / "moving", f"{i:05d}", box(0, 10, i, 10 + i))
    return root


def make_person_free_set(root: Path, count: int = 3) -> Path:
    for i in range(count):
        write_sample(root, f"bg{i}", None)
    return root


def make_instance_set(root: Path) -> Path:
    """Two images: one person exactly the box, and two people (the box and another)."""
    write_sample(root, "one", box(0, 10, 0, 10), sub="instances")
    two = box(0, 10, 0, 10).astype(np.uint8) + 2 * box(12, 20, 12, 20).astype(np.uint8)
    write_sample(root, "two", None)
    (root / "instances" / "two.png").parent.mkdir(exist_ok=True)
    Image.fromarray(two).save(root / "instances" / "two.png")
    return root
