"""Shared fixtures: the real data sets beside the project, and small synthetic images."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from bodyseg.io import read_image
from bodyseg.metrics import iou
from bodyseg.segmenters import create

REPO = Path(__file__).resolve().parents[1]
#: ../shared/datasets beside the project root, or $BODYSEG_DATASETS.
DATASETS = Path(os.environ.get("BODYSEG_DATASETS", REPO.parent / "shared" / "datasets"))


def dataset_path(*parts: str) -> Path:
    """Path inside the shared data sets; skips the test with a reason when they are absent."""
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"needs the shared data sets: {path} is missing (set BODYSEG_DATASETS or put them in ../shared/datasets)"
        )
    return path


def ccp_val_pairs() -> list[tuple[Path, Path]]:
    """(image, mask) paths of the 200 ccp val photos; skips the test without the data sets."""
    root = dataset_path("ccp")
    ids = [line.split()[0] for line in (root / "split.txt").read_text().splitlines() if line.endswith("val")]
    assert len(ids) == 200, "ccp split.txt should hold 200 val images"
    return [(root / "images" / f"{i}.jpg", root / "masks" / f"{i}.png") for i in ids]


def mean_iou_on(method: str, pairs: list[tuple[Path, Path]], **options) -> float:
    """Mean per-image IoU of a registered method on (image, mask) pairs."""
    scores = []
    with create(method, **options) as segmenter:
        for image_path, mask_path in pairs:
            truth = read_image(mask_path)[..., 0] > 127
            scores.append(iou(segmenter.segment(image_path).mask(), truth))
    return float(np.mean(scores))


@pytest.fixture
def datasets() -> Path:
    """The shared data sets folder (the test is skipped when it is missing)."""
    return dataset_path()


@pytest.fixture
def figure_image() -> tuple[np.ndarray, np.ndarray]:
    """A synthetic 'person': an orange figure (head, body, legs) on a flat blue-grey background.

    Returns ``(rgb, mask)`` where ``mask`` is the exact figure.
    """
    h, w = 240, 160
    mask = np.zeros((h, w), bool)
    yy, xx = np.mgrid[:h, :w]
    mask |= (yy - 45) ** 2 + (xx - 80) ** 2 <= 18**2  # head
    mask[65:150, 55:106] = True  # body
    mask[150:225, 58:76] = True  # left leg
    mask[150:225, 85:103] = True  # right leg
    rgb = np.empty((h, w, 3), np.uint8)
    rgb[:] = (90, 110, 130)
    rgb[mask] = (230, 120, 40)
    return rgb, mask
