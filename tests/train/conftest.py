"""Fixtures of the training tests: a tiny synthetic image/mask folder (no real data needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def write_figures(root: Path, count: int = 4, size: tuple[int, int] = (72, 56), seed: int = 0) -> Path:
    """``root/images/NNN.png`` + ``root/masks/NNN.png`` (0/255): orange figures on varied backgrounds."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    h, w = size
    yy, xx = np.mgrid[:h, :w]
    for i in range(count):
        cx, cy, scale = rng.integers(18, w - 18), rng.integers(14, h - 30), rng.uniform(0.7, 1.1)
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= (7 * scale) ** 2
        mask |= (abs(xx - cx) <= 9 * scale) & (yy > cy + 6 * scale) & (yy < cy + 40 * scale)
        rgb = np.empty((h, w, 3), np.uint8)
        rgb[:] = rng.integers(40, 160, 3)
        rgb = np.clip(rgb + rng.normal(0, 8, rgb.shape), 0, 255).astype(np.uint8)
        rgb[mask] = (230, 120, 40)
        Image.fromarray(rgb).save(root / "images" / f"{i:03d}.png")
        Image.fromarray(mask.astype(np.uint8) * 255).save(root / "masks" / f"{i:03d}.png")
    return root


@pytest.fixture
def figures(tmp_path: Path):  # noqa: ANN201
    """``figures(name, count=4)``: writes a synthetic folder under tmp_path and returns its path."""

    def make(name: str = "figures", count: int = 4, seed: int = 0) -> Path:
        return write_figures(tmp_path / name, count=count, seed=seed)

    return make
