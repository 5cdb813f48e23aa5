"""The training loop: Adam with a cosine or poly schedule, checkpoints, resume, best by validation loss.

One loop trains every net of :mod:`bodyseg.nets`, on person masks (one sigmoid channel) or on
part maps (K softmax channels, class-weighted cross-entropy). Each epoch writes, into the run
folder (which must lie outside the repository: checkpoints are large):

* ``last.pt``: model, optimiser, scheduler, epoch, best metric, history, config and RNG states;
  ``--resume`` continues from it with the same results as an uninterrupted run;
* ``best.pt``: the model of the epoch with the lowest validation loss;
* ``history.json`` and ``curves.png``: loss and IoU per epoch (IoU per validation source).

Example:
    >>> config = TrainConfig(arch="unet", data=("ccp",), size=192, epochs=30, out=Path("runs/unet"))
    >>> result = train(config)  # doctest: +SKIP
    >>> result.best_epoch, result.history[-1]["val_iou"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from bodyseg import nets
from bodyseg.errors import InputError
from bodyseg.io.images import write_text
from bodyseg.metrics.region import class_scores, confusion_matrix
from bodyseg.parts.schemes import left_right_pairs
from bodyseg.train.augment import Augment, WholeView
from bodyseg.train.checkpoints import load_checkpoint, rng_states, save_checkpoint, seed_everything, set_rng_states
from bodyseg.train.config import TrainConfig, TrainData, TrainResult, check_outside_repository, lr_factor
from bodyseg.train.curves import plot_curves
from bodyseg.train.data import SegmentationDataset, class_pixel_counts
from bodyseg.train.losses import get_loss, sampled_class_weights
from bodyseg.train.sources import open_source
from bodyseg.train.supervision import deep_supervision_loss

log = logging.getLogger(__name__)


def build_data(config: TrainConfig) -> TrainData:
    """Open the sources of ``config.data``, their splits, augmentation and compositing."""
    if not config.data:
        raise InputError(
            "no training data: give one or more --data sources (ccp, pfcn, picsart, ccp-parts or a folder)"
        )
    train_sets, val_sets, kinds = [], {}, set()
    for name in config.data:
        train_set, kind = open_source(name, "train", root=config.data_root, limit=config.train_limit)
        val_set, _ = open_source(name, "val", root=config.data_root, limit=config.val_limit)
        train_sets.append(train_set)
        val_sets[name] = val_set
        kinds.add(kind)
    if len(kinds) != 1:
        raise InputError(
            f"--data mixes person masks and part maps ({', '.join(config.data)}); train one kind at a time"
        )
    kind = kinds.pop()
    class_names = None
    num_classes = 1
    if kind == "parts":
        names = {s.part_names for s in train_sets}
        if len(names) != 1:
            raise InputError("part sources with different label sets cannot be trained together")
        class_names = names.pop()
        num_classes = len(class_names)
    swap = left_right_pairs(class_names) if class_names else ()
    transform = Augment(config.size, swap=swap) if config.augment else WholeView(config.size)
    train = SegmentationDataset(train_sets, kind, transform, seed=config.seed)
    if config.composite:
        train.compositor = _compositor(train, config)
    val = {
        name: SegmentationDataset([s], kind, WholeView(config.size), seed=config.seed) for name, s in val_sets.items()
    }
    return TrainData(train, val, kind, num_classes, class_names)


def _compositor(train: SegmentationDataset, config: TrainConfig):  # noqa: ANN202
    from bodyseg.datasets import data_root
    from bodyseg.io.images import IMAGE_SUFFIXES
    from bodyseg.train.composite import Compositor

    folder = config.backgrounds or Path(config.data_root or data_root("backgrounds")) / "backgrounds" / "images"
    backgrounds = (
        sorted(p for p in Path(folder).glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if Path(folder).is_dir() else []
    )
    if not backgrounds:
        log.warning("%s: no background images; composites only paste people over other photos", folder)
    return Compositor(people=train.load_readable_pair, count=len(train), backgrounds=backgrounds)


def make_loss(config: TrainConfig, data: TrainData):  # noqa: ANN201
    """The loss of the run: ``config.loss`` with its options, class weights for part maps."""
    options = dict(config.loss_options)
    if data.kind == "parts":
        if config.loss != "ce":
            raise InputError(
                f"part maps are trained with --loss ce (class-weighted cross-entropy), not {config.loss!r}"
            )
        if config.class_weighting:
            counts = class_pixel_counts(data.train, data.num_classes)
            options["weights"] = sampled_class_weights(counts, config.class_weighting)
            unseen = [name for name, count in zip(data.class_names or (), counts, strict=False) if count <= 1]
            if unseen:
                log.warning("class weighting: %s not seen in the counted sample, weighted 1", ", ".join(unseen))
    elif config.loss == "ce":
        raise InputError(
            "--loss ce is for part maps; for person masks use bce, dice, bce+dice, focal, tversky or boundary"
        )
    return get_loss(config.loss, **options)


def _loader(
    dataset: SegmentationDataset, config: TrainConfig, *, epoch: int, train: bool
) -> torch.utils.data.DataLoader:
    sampler = None
    if train:
        generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
        count = config.steps_per_epoch * config.batch_size if config.steps_per_epoch else len(dataset)
        sampler = torch.utils.data.RandomSampler(
            dataset,
            replacement=bool(config.steps_per_epoch and count > len(dataset)),
            num_samples=count,
            generator=generator,
        )
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=config.batch_size,
        sampler=sampler,
        shuffle=False,
        num_workers=config.workers,
        drop_last=train and len(dataset) >= config.batch_size,
    )


def _to_device(x: torch.Tensor, channels_last: bool) -> torch.Tensor:
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def train_one_epoch(
    model: nn.Module,
    loader: torch.utils.data.DataLoader,
    loss_fn,
    optimizer: torch.optim.Optimizer,  # noqa: ANN001
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    config: TrainConfig,
    epoch: int,
) -> dict[str, float]:
    """One pass over ``loader``; returns the mean loss and the images per second."""
    model.train()
    aux_weights = tuple(getattr(model, "aux_weights", ()))
    total, images, start = 0.0, 0, time.perf_counter()
    bar = tqdm(
        loader, desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch", disable=not config.progress, leave=False
    )
    for x, target in bar:
        output = model(_to_device(x, config.channels_last))
        loss = deep_supervision_loss(output, target, loss_fn, aux_weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.item() * len(x)
        images += len(x)
        rate = images / max(time.perf_counter() - start, 1e-9)
        bar.set_postfix(loss=f"{loss.item():.4f}", img_s=f"{rate:.1f}")
    return {"train_loss": total / max(images, 1), "images_per_s": images / max(time.perf_counter() - start, 1e-9)}


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: torch.utils.data.DataLoader, loss_fn, num_classes: int, channels_last: bool = True
) -> dict[str, float]:  # noqa: ANN001
    """Mean loss and IoU over ``loader``: person IoU (threshold 0.5) for masks, mean IoU over labels for parts.

    The IoU is over all pixels of the set at once (one confusion matrix), not a mean of per-image IoUs.
    """
    model.eval()
    classes = max(num_classes, 2)
    cm = np.zeros((classes, classes), np.int64)
    total, images = 0.0, 0
    for x, target in loader:
        logits = nets.main_output(model(_to_device(x, channels_last)))
        total += float(loss_fn(logits, target)) * len(x)
        images += len(x)
        if num_classes == 1:
            pred, truth = (
                (logits > 0).numpy().astype(np.int64),
                (target.numpy() > 0.5).astype(np.int64),
            )  # soft targets too
        else:
            pred, truth = logits.argmax(1).numpy(), target.numpy()
        cm += confusion_matrix(pred, truth, classes)
    scores = class_scores(cm)
    iou = float(scores["iou"][1]) if num_classes == 1 else float(scores["mean_iou"])
    return {"loss": total / max(images, 1), "iou": iou}


@dataclass
class _Run:
    """A run's moving parts: the net, its loss, optimiser and schedule, and what the epochs so far gave."""

    config: TrainConfig
    data: TrainData
    model: nn.Module
    loss_fn: Any
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    history: list[dict[str, Any]] = field(default_factory=list)
    next_epoch: int = 0
    best_val: float = math.inf
    best_epoch: int = -1

    @classmethod
    def start(cls, config: TrainConfig, data: TrainData, model: nn.Module | None) -> _Run:
        """A fresh run: the net (``config.arch`` when ``model`` is None), Adam and the per-step schedule."""
        if model is None:
            model = nets.create(config.arch, num_classes=data.num_classes, **config.arch_options)
        if config.channels_last:
            model = model.to(memory_format=torch.channels_last)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        steps = config.steps_per_epoch or max(1, len(data.train) // config.batch_size)
        total = steps * config.epochs
        warmup = min(config.warmup_steps, total // 10)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, total, config.schedule, warmup))
        return cls(config, data, model, make_loss(config, data), optimizer, scheduler)

    def restore(self, state: Mapping[str, Any], where: Path) -> None:
        """Continue from a ``last.pt`` state: weights, optimiser, schedule, history and random states."""
        if state["config"]["arch"] != self.config.arch:
            arch = state["config"]["arch"]
            raise InputError(f"{where} holds a {arch!r} run; resume it with --arch {arch}")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.next_epoch, self.best_val, self.best_epoch = (
            state["epoch"] + 1,
            state["best_val_loss"],
            state["best_epoch"],
        )
        self.history = list(state["history"])
        set_rng_states(state["rng"])

    def run_epoch(self, epoch: int) -> dict[str, Any]:
        """Train one epoch and score every validation source; the epoch's record, also kept in the history."""
        config, data = self.config, self.data
        data.train.set_epoch(epoch)
        started = time.perf_counter()
        record: dict[str, Any] = {"epoch": epoch + 1, "lr": self.optimizer.param_groups[0]["lr"]}
        loader = _loader(data.train, config, epoch=epoch, train=True)
        record.update(train_one_epoch(self.model, loader, self.loss_fn, self.optimizer, self.scheduler, config, epoch))
        per_source = {
            name: evaluate(
                self.model,
                _loader(val, config, epoch=epoch, train=False),
                self.loss_fn,
                data.num_classes,
                config.channels_last,
            )
            for name, val in data.val.items()
        }
        record["per_source"] = per_source
        record["val_loss"] = float(np.mean([m["loss"] for m in per_source.values()]))
        record["val_iou"] = float(np.mean([m["iou"] for m in per_source.values()]))
        record["seconds"] = time.perf_counter() - started
        record["best"] = record["val_loss"] < self.best_val
        if record["best"]:
            self.best_val, self.best_epoch = record["val_loss"], epoch
        self.history.append(record)
        return record

    def _facts(self) -> dict[str, Any]:
        return {
            "config": self.config.to_json(),
            "num_classes": self.data.num_classes,
            "class_names": self.data.class_names,
        }

    def save(self, out: Path, epoch: int, record: Mapping[str, Any]) -> None:
        """``last.pt`` (everything a resume needs), ``best.pt`` when this epoch is the best, the history and curves."""
        # best.pt first: a kill between the two writes leaves last.pt one epoch back, and the resumed run
        # writes this epoch's best.pt again (the other order could leave a best.pt older than last.pt says)
        if record["best"]:
            save_checkpoint(
                out / "best.pt",
                {
                    "model": self.model.state_dict(),
                    "epoch": epoch,
                    "val_loss": self.best_val,
                    "metrics": record["per_source"],
                    **self._facts(),
                },
            )
        save_checkpoint(
            out / "last.pt",
            {
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "epoch": epoch,
                "best_val_loss": self.best_val,
                "best_epoch": self.best_epoch,
                "history": self.history,
                "rng": rng_states(),
                **self._facts(),
            },
        )
        write_text(out / "history.json", json.dumps(self.history, indent=1) + "\n")
        plot_curves(self.history, out / "curves.png")


def _log_epoch(record: Mapping[str, Any], epochs: int) -> None:
    ious = ", ".join(f"{name} {scores['iou']:.3f}" for name, scores in record["per_source"].items())
    log.info(
        "epoch %d/%d: train loss %.4f, val loss %.4f, val IoU %s, %.1f img/s%s",
        record["epoch"],
        epochs,
        record["train_loss"],
        record["val_loss"],
        ious,
        record["images_per_s"],
        " (best)" if record["best"] else "",
    )


def start_from(model: nn.Module, checkpoint: Path, arch: str) -> None:
    """Load the weights of another run's checkpoint into ``model`` (fine-tuning), checking they fit.

    Raises:
        InputError: the checkpoint is missing, of another architecture, or of other output classes.
    """
    if not Path(checkpoint).is_file():
        raise InputError(f"--init {checkpoint}: no such checkpoint; give a run's best.pt or last.pt")
    state = load_checkpoint(Path(checkpoint))
    if state["config"]["arch"] != arch:
        raise InputError(f"--init {checkpoint} holds a {state['config']['arch']!r} net; train it with that --arch")
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise InputError(f"--init {checkpoint}: its weights do not fit this net (other classes?): {exc}") from None
    log.info("starting from the weights of %s (epoch %d)", checkpoint, state["epoch"] + 1)


def train(
    config: TrainConfig,
    *,
    resume: bool = False,
    data: TrainData | None = None,
    until: int | None = None,
    model: nn.Module | None = None,
) -> TrainResult:
    """Train ``config.arch`` on ``config.data``; with ``resume``, continue the run in ``config.out``.

    Args:
        config: the run's settings.
        resume: load ``config.out/last.pt`` (model, optimiser, scheduler, epoch, best metric, RNG
            states) and go on up to ``config.epochs``.
        data: ready-made data (tests); built from ``config`` when None.
        until: stop after this epoch (1-based) in this call, keeping the schedule of
            ``config.epochs``: train a long run in slices, each resumed with ``resume=True``.
        model: a ready-made net (one outside the zoo, such as the pipeline's refiner); built from
            ``config.arch`` when None.

    Raises:
        InputError: bad options, missing data, a run folder inside the repository, or ``resume``
            without a checkpoint.

    Example:
        >>> train(TrainConfig(arch="unet", data=("ccp", "pfcn"), out=Path("runs/unet")), resume=True)  # doctest: +SKIP
    """
    out = check_outside_repository(config.out)
    if resume and not (out / "last.pt").is_file():
        raise InputError(f"{out / 'last.pt'}: no checkpoint to resume from; start the run without --resume")
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    run = _Run.start(config, data or build_data(config), model)
    if config.init is not None and not resume:
        start_from(run.model, config.init, config.arch)
    if resume:
        run.restore(load_checkpoint(out / "last.pt"), out / "last.pt")
        log.info("resuming %s at epoch %d of %d", out, run.next_epoch + 1, config.epochs)
    for epoch in range(run.next_epoch, min(config.epochs, until or config.epochs)):
        record = run.run_epoch(epoch)
        run.save(out, epoch, record)
        _log_epoch(record, config.epochs)
    return TrainResult(out, run.history, run.best_epoch + 1, run.best_val, run.model)
