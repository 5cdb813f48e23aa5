"""Checkpoints written whole or not at all, and the random states that make a resumed run repeat an unbroken one."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bodyseg.errors import InputError
from bodyseg.io.images import atomic_path


def rng_states() -> dict[str, Any]:
    """The Python, numpy and torch random states (saved in checkpoints)."""
    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}


def set_rng_states(states: Mapping[str, Any]) -> None:
    """Restore states from :func:`rng_states`."""
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def save_checkpoint(path: Path, state: Mapping[str, Any]) -> None:
    """``torch.save`` to a temporary file renamed into place: a crash never leaves half a checkpoint."""
    with atomic_path(path) as temp:
        torch.save(dict(state), temp)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint written by :func:`save_checkpoint` (it holds RNG states and the config: trusted files only)."""
    if not path.is_file():
        raise InputError(f"{path}: no checkpoint to resume from; start the run without --resume")
    return torch.load(path, map_location="cpu", weights_only=False)
