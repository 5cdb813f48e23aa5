"""The training loop: Adam with a cosine or poly schedule, checkpoints, resume, best by validation loss.

One loop trains every net of :mod:`bodyseg.nets`, on person masks (one sigmoid channel) or on
part maps (K softmax channels, class-weighted cross-entropy). Each epoch writes, into the run
folder (which must lie outside the repository: checkpoints are large):

* ``last.pt``: model, optimiser, scheduler, epoch, best metric, history, config and RNG states;
  ``--resume`` continues from it with the same results as an uninterrupted run;
* ``best.pt``: the model of the epoch with the lowest validation loss;
* ``history.json`` and ``curves.png``: loss and IoU per epoch (IoU per validation source).

Example:
    >>> result = train(TrainConfig(arch="unet", data=("ccp",), size=192, epochs=30, out=Path("/work/runs/unet")))  # doctest: +SKIP
    >>> result.best_epoch, result.history[-1]["val_iou"]  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from bodyseg import nets
from bodyseg.errors import InputError
from bodyseg.io.images import atomic_path
from bodyseg.metrics.region import class_scores, confusion_matrix
from bodyseg.train.augment import Augment, Letterbox
from bodyseg.train.data import SegmentationDataset, class_pixel_counts
from bodyseg.train.losses import class_weights, get_loss
from bodyseg.train.sources import open_source
from bodyseg.train.supervision import deep_supervision_loss

log = logging.getLogger(__name__)

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


def check_outside_repository(out: Path) -> Path:
    """``out`` resolved, after refusing a folder inside a source checkout (a parent with ``.git`` and ``src/``).

    Raises:
        InputError: the folder is inside a repository.
    """
    resolved = Path(out).expanduser().resolve()
    for parent in (resolved, *resolved.parents):
        if (parent / ".git").exists() and (parent / "src").is_dir():
            raise InputError(
                f"{out}: is inside the repository {parent}; checkpoints are large, put runs outside it (e.g. --out /work/runs/NAME)"
            )
    return resolved


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
    transform = Augment(config.size) if config.augment else Letterbox(config.size)
    train = SegmentationDataset(train_sets, kind, transform, seed=config.seed)
    if config.composite:
        train.compositor = _compositor(train, config)
    val = {
        name: SegmentationDataset([s], kind, Letterbox(config.size), seed=config.seed) for name, s in val_sets.items()
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
            options["weights"] = class_weights(counts, config.class_weighting)
    elif config.loss == "ce":
        raise InputError(
            "--loss ce is for part maps; for person masks use bce, dice, bce+dice, focal, tversky or boundary"
        )
    return get_loss(config.loss, **options)


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


def plot_curves(history: Sequence[Mapping[str, Any]], path: Path) -> Path:
    """Loss (train and validation) and validation IoU per epoch, per source, drawn to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_iou) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], "o-", label="train")
    ax_loss.plot(epochs, [h["val_loss"] for h in history], "o-", label="validation (mean of sources)")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    for source in history[-1]["per_source"] if history else []:
        ax_iou.plot(
            epochs, [h["per_source"].get(source, {}).get("iou", float("nan")) for h in history], "o-", label=source
        )
    ax_iou.set(xlabel="epoch", ylabel="IoU", title="validation IoU")
    for ax in (ax_loss, ax_iou):
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    with atomic_path(path) as temp:
        fig.savefig(temp, format="png", dpi=100)
    plt.close(fig)
    return path


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
        >>> train(TrainConfig(arch="unet", data=("ccp", "pfcn"), out=Path("/work/runs/unet")), resume=True)  # doctest: +SKIP
    """
    out = check_outside_repository(config.out)
    if resume and not (out / "last.pt").is_file():
        raise InputError(f"{out / 'last.pt'}: no checkpoint to resume from; start the run without --resume")
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    data = data or build_data(config)
    model = (
        model if model is not None else nets.create(config.arch, num_classes=data.num_classes, **config.arch_options)
    )
    if config.channels_last:
        model = model.to(memory_format=torch.channels_last)
    loss_fn = make_loss(config, data)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps = config.steps_per_epoch or max(1, len(data.train) // config.batch_size)
    total_steps = steps * config.epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, total_steps, config.schedule, min(config.warmup_steps, total_steps // 10))
    )
    history: list[dict[str, Any]] = []
    start_epoch, best_val, best_epoch = 0, math.inf, -1
    if resume:
        state = load_checkpoint(out / "last.pt")
        if state["config"]["arch"] != config.arch:
            raise InputError(
                f"{out / 'last.pt'} holds a {state['config']['arch']!r} run; resume it with --arch {state['config']['arch']}"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best_val, best_epoch = state["epoch"] + 1, state["best_val_loss"], state["best_epoch"]
        history = list(state["history"])
        set_rng_states(state["rng"])
        log.info("resuming %s at epoch %d of %d", out, start_epoch + 1, config.epochs)
    for epoch in range(start_epoch, min(config.epochs, until or config.epochs)):
        data.train.set_epoch(epoch)
        started = time.perf_counter()
        record: dict[str, Any] = {"epoch": epoch + 1, "lr": optimizer.param_groups[0]["lr"]}
        record.update(
            train_one_epoch(
                model,
                _loader(data.train, config, epoch=epoch, train=True),
                loss_fn,
                optimizer,
                scheduler,
                config,
                epoch,
            )
        )
        per_source = {
            name: evaluate(
                model, _loader(v, config, epoch=epoch, train=False), loss_fn, data.num_classes, config.channels_last
            )
            for name, v in data.val.items()
        }
        record["per_source"] = per_source
        record["val_loss"] = float(np.mean([m["loss"] for m in per_source.values()]))
        record["val_iou"] = float(np.mean([m["iou"] for m in per_source.values()]))
        record["seconds"] = time.perf_counter() - started
        history.append(record)
        improved = record["val_loss"] < best_val
        if improved:
            best_val, best_epoch = record["val_loss"], epoch
        state = {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "epoch": epoch,
            "best_val_loss": best_val,
            "best_epoch": best_epoch,
            "history": history,
            "config": config.to_json(),
            "num_classes": data.num_classes,
            "class_names": data.class_names,
            "rng": rng_states(),
        }
        save_checkpoint(out / "last.pt", state)
        if improved:
            save_checkpoint(
                out / "best.pt",
                {
                    "model": model.state_dict(),
                    "epoch": epoch,
                    "val_loss": best_val,
                    "metrics": per_source,
                    "config": config.to_json(),
                    "num_classes": data.num_classes,
                    "class_names": data.class_names,
                },
            )
        with atomic_path(out / "history.json") as temp:
            Path(temp).write_text(json.dumps(history, indent=1) + "\n", encoding="utf-8")
        plot_curves(history, out / "curves.png")
        log.info(
            "epoch %d/%d: train loss %.4f, val loss %.4f, val IoU %s, %.1f img/s%s",
            epoch + 1,
            config.epochs,
            record["train_loss"],
            record["val_loss"],
            ", ".join(f"{k} {v['iou']:.3f}" for k, v in per_source.items()),
            record["images_per_s"],
            " (best)" if improved else "",
        )
    return TrainResult(out, history, best_epoch + 1, best_val, model)


def export_best(
    run: Path, onnx_path: Path | None = None, *, size: int | None = None, flip: bool = False, checkpoint: str = "best"
) -> tuple[Path, Path]:
    """Export the best model of a run folder to ONNX with its model card (``<run>/<arch>.onnx`` by default).

    The card's metrics are the exported epoch's validation loss and IoU per source. ``size`` sets
    the input side of the exported graph (default: the training crop size; a fully convolutional
    net may see more detail at a larger one); ``flip`` asks the ``net`` segmenter to average the
    output on the image and its mirror (written in the card's ``test_time``). ``checkpoint="last"``
    exports the last epoch instead of the one with the lowest validation loss (a run fine-tuned
    on other data, whose validation loss need not fall, e.g. ``person-unet-composite``).
    """
    from bodyseg.train.export import export_with_card

    if checkpoint not in ("best", "last"):
        raise InputError(f"checkpoint must be 'best' or 'last', got {checkpoint!r}")
    state = load_checkpoint(Path(run) / f"{checkpoint}.pt")
    config = state["config"]
    model = nets.create(config["arch"], num_classes=state["num_classes"], **config.get("arch_options", {}))
    model.load_state_dict(state["model"])
    scores_per_source = state["metrics"] if checkpoint == "best" else state["history"][-1]["per_source"]
    metrics = {f"{name}:val": {**scores, "threshold": 0.5} for name, scores in scores_per_source.items()}
    recipe = {
        k: config[k]
        for k in ("epochs", "batch_size", "lr", "schedule", "loss", "loss_options", "composite", "augment", "seed")
    }
    recipe["best_epoch" if checkpoint == "best" else "last_epoch"] = state["epoch"] + 1
    recipe["size"] = config["size"]
    return export_with_card(
        model,
        onnx_path or Path(run) / f"{config['arch']}.onnx",
        arch=config["arch"],
        data=[f"{d}:train" for d in config["data"]],
        size=size or config["size"],
        num_classes=state["num_classes"],
        metrics=metrics,
        class_names=state["class_names"],
        recipe=recipe,
        test_time={"flip": bool(flip)},
    )
