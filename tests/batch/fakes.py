"""Cheap, deterministic segmenters for the batch tests, registered under ``fake-*`` names.

Workers are other processes: they import this module by the name registered here
(``tests.batch.fakes``), which the batch plugin registers on them.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np

from bodyseg.result import Parts, Person, Segmentation
from bodyseg.segmenters import Segmenter, register

#: An image whose top-left pixel has this colour kills the worker process that segments it.
POISON = (255, 0, 255)


class Brightness(Segmenter):
    """The red channel as the person probability.

    Args:
        delay: seconds to sleep per image (to make a run last long enough to be killed).
        log: a file that gets one line (this process's id) per segmenter made: model loads counted.
    """

    name = "fake-brightness"

    def __init__(self, delay: float = 0.0, log: str | None = None) -> None:
        self.delay = float(delay)
        if log:
            with open(str(log), "a", encoding="utf-8") as file:  # str: a number would open a file descriptor
                file.write(f"{os.getpid()}\n")

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        if tuple(rgb[0, 0]) == POISON:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.delay:
            time.sleep(self.delay)
        return Segmentation(prob=rgb[..., 0].astype(np.float32) / 255.0)


class WithParts(Brightness):
    """Brightness, plus parts: the person's upper half is label 1, the lower half label 2."""

    name = "fake-parts"

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        seg = super()._segment(rgb)
        labels = seg.mask().astype(np.uint8)
        labels[rgb.shape[0] // 2 :] *= 2
        seg.parts = Parts(labels, ("background", "upper", "lower"))
        return seg


class TwoPeople(Brightness):
    """Brightness, split into two people at the image's middle column."""

    name = "fake-people"

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        seg = super()._segment(rgb)
        mask = seg.mask()
        half = rgb.shape[1] // 2
        for cols in (slice(0, half), slice(half, None)):
            person = np.zeros_like(mask)
            person[:, cols] = mask[:, cols]
            ys, xs = np.nonzero(person)
            if len(xs):
                seg.people.append(Person(person, (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)))
        return seg


def register_fakes() -> None:
    """Register the fakes in this process (the client; the batch plugin registers them on workers)."""
    register("fake-brightness", "tests.batch.fakes:Brightness", "test fake: the red channel")
    register("fake-parts", "tests.batch.fakes:WithParts", "test fake: red channel, two parts")
    register("fake-people", "tests.batch.fakes:TwoPeople", "test fake: red channel, two people", people=True)


def make_photos(folder: Path, count: int, *, sub: int = 0, seed: int = 0) -> list[Path]:
    """``count`` small photos (64x48, random colours, JPEG and PNG), the last ``sub`` in ``folder/sub``."""
    from bodyseg.io import write_image

    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        place = folder / "sub" if i >= count - sub else folder
        image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
        image[0, 0] = (0, 0, 0)  # never the poison colour by chance
        paths.append(write_image(place / f"p{i:03d}{'.png' if i % 3 else '.jpg'}", image))
    return paths
