"""What a training run depends on (:class:`TrainConfig`, saved in every checkpoint), what it gets and gives."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from bodyseg.errors import InputError
from bodyseg.train.data import SegmentationDataset

SCHEDULES = ("cosine", "poly")


@dataclass
class TrainConfig:
    """Everything a run depends on (saved in every checkpoint).

    Attributes:
        arch: a name of :func:`bodyseg.nets.available`.
        data: ``--data`` sources (:data:`bodyseg.train.data.SOURCES` names or folders); all of
            one target kind: person masks, or part maps (``ccp-parts``).
        size: side of the square training crops and of the validation letterbox.
        epochs: total epochs (a resumed run continues up to this many).
        batch_size: images per step.
        lr: peak learning rate of Adam.
        weight_decay: Adam's L2 penalty.
        schedule: ``"cosine"`` (to 1% of ``lr``) or ``"poly"`` (``(1 - t) ** 0.9``), per step.
        warmup_steps: linear warm-up steps at the start.
        loss: a :func:`bodyseg.train.losses.get_loss` name; ``"ce"`` for part maps.
        loss_options: keyword options of the loss.
        class_weighting: ``"inverse"`` or ``"exponential"`` class weights for ``"ce"`` from the
            training pixel counts, or None.
        composite: copy-paste people onto ``backgrounds`` and onto other photos.
        backgrounds: folder of person-free images; the data root's ``backgrounds/images`` if None.
        augment: random scale/crop, flip and colour jitter (off: letterbox only, for overfit tests).
        out: the run folder (outside the repository).
        seed: seeds Python, numpy, torch and the per-item augmentation.
        threads: torch CPU threads.
        workers: DataLoader worker processes (0: load in the main process).
        steps_per_epoch: batches per epoch (None: one pass over the training set).
        train_limit: training samples per source (None: all; for quick trials).
        val_limit: validation samples per source (None: all).
        arch_options: keyword options of the architecture.
        channels_last: run the net in channels-last memory format (faster convs on CPU).
        data_root: the data sets folder (None: :func:`bodyseg.datasets.data_root`).
        progress: show a tqdm bar with loss and images/s.
        init: a checkpoint (``best.pt`` or ``last.pt`` of another run) whose weights start a new run
            (fine-tuning: the optimiser, schedule and history start afresh); None: random weights.
    """

    arch: str = "unet"
    data: tuple[str, ...] = ("ccp",)
    size: int = 192
    epochs: int = 30
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-5
    schedule: str = "cosine"
    warmup_steps: int = 100
    loss: str = "bce+dice"
    loss_options: dict[str, Any] = field(default_factory=dict)
    class_weighting: str | None = None
    composite: bool = True
    backgrounds: Path | None = None
    augment: bool = True
    out: Path = Path("runs")
    seed: int = 0
    threads: int = 1
    workers: int = 0
    steps_per_epoch: int | None = None
    train_limit: int | None = None
    val_limit: int | None = None
    arch_options: dict[str, Any] = field(default_factory=dict)
    channels_last: bool = True
    data_root: Path | None = None
    progress: bool = True
    init: Path | None = None

    def to_json(self) -> dict[str, Any]:
        """The config as plain JSON values."""
        return {
            k: (str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v)
            for k, v in dataclasses.asdict(self).items()
        }


@dataclass
class TrainResult:
    """What a run produced: its folder, the per-epoch history and the best epoch."""

    out: Path
    history: list[dict[str, Any]]
    best_epoch: int
    best_val_loss: float
    model: nn.Module


@dataclass
class TrainData:
    """The data of a run: the training set and one validation set per source."""

    train: SegmentationDataset
    val: dict[str, SegmentationDataset]
    kind: str
    num_classes: int
    class_names: tuple[str, ...] | None = None


#: The folder of a source checkout where runs may go (git ignores it).
RUNS_FOLDER = "runs"


def check_outside_repository(out: Path) -> Path:
    """``out`` resolved, after refusing a folder inside a source checkout (a parent with ``.git`` and ``src/``)
    anywhere but its git-ignored ``runs/`` folder.

    Raises:
        InputError: the folder is inside a repository, outside its ``runs/``.

    Example:
        >>> import tempfile
        >>> repo = Path(tempfile.mkdtemp()); (repo / ".git").mkdir(); (repo / "src").mkdir()
        >>> check_outside_repository(repo / "runs" / "unet") == (repo / "runs" / "unet").resolve()
        True
        >>> check_outside_repository(repo / "src" / "unet")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bodyseg.errors.InputError: ...: is inside the repository ...; put runs in its runs/ folder or outside it ...
    """
    resolved = Path(out).expanduser().resolve()
    for parent in (resolved, *resolved.parents):
        if (parent / ".git").exists() and (parent / "src").is_dir():
            if resolved.is_relative_to(parent / RUNS_FOLDER):
                return resolved
            raise InputError(
                f"{out}: is inside the repository {parent}; put runs in its {RUNS_FOLDER}/ folder or outside it "
                f"(checkpoints are large), e.g. --out {RUNS_FOLDER}/NAME"
            )
    return resolved


def lr_factor(step: int, total: int, schedule: str, warmup: int = 0) -> float:
    """Learning-rate multiplier at ``step`` of ``total``: linear warm-up, then cosine (to 0.01) or poly 0.9.

    Example:
        >>> [round(lr_factor(s, 100, "cosine"), 3) for s in (0, 50, 100)]
        [1.0, 0.505, 0.01]
        >>> round(lr_factor(50, 100, "poly"), 3)
        0.536
    """
    if step < warmup:
        return (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    if schedule == "cosine":
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t))
    if schedule == "poly":
        return max(1e-3, (1 - t) ** 0.9)
    raise InputError(f"unknown schedule {schedule!r}; choose one of: {', '.join(SCHEDULES)}")
