"""Fixtures of the CLI tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import bodyseg


@pytest.fixture
def photo(tmp_path) -> Path:
    """A copy of the bundled astronaut photo (512x512, one person) in ``tmp_path``."""
    path = tmp_path / "astronaut.jpg"
    shutil.copyfile(bodyseg.example_image(), path)
    return path
