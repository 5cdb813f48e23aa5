"""The multi-part body segmentation study, reproduced on viton_parts: 3 nets x 5 class weightings.

ICNet, SegNet and the stacked hourglass are each trained with no class weighting and with W1
(inverse frequency) or W2 (exponential) weights applied 'direct' (on the logits) or 'outer' (on
each pixel's loss): see :mod:`bodyseg.train.part_weights`. Every run has the same budget (steps,
batch, learning-rate schedule, seed, one thread), trains on viton train at a small size and is
scored on all of viton val at the labels' own resolution (192x256): mIoU, overall pixel accuracy,
mean class accuracy, per-class accuracy and IoU.

The 20 LIP labels are grouped into the 7 parts of :data:`GROUPS` (this data has no anatomical
split of arms and legs, and hats, gloves, socks and shoes are nearly absent from it).

    OMP_NUM_THREADS=1 python benchmarks/parts_study.py --out runs/parts-study/main
    OMP_NUM_THREADS=1 python benchmarks/parts_study.py --out runs/parts-study/main --report \
        --figure docs/parts-study.png

Each run lives in ``OUT/NET-WEIGHTING/`` (checkpoints per epoch, ``results.json`` when scored);
running the command again resumes unfinished runs and skips finished ones. ``--report`` only
prints the table (Markdown) of the runs that are finished.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from bodyseg import nets
from bodyseg.datasets import open_dataset
from bodyseg.errors import InputError
from bodyseg.metrics.parts import PartMeter
from bodyseg.models.runtime import normalise
from bodyseg.parts.schemes import LIP
from bodyseg.train.checkpoints import load_checkpoint
from bodyseg.train.config import TrainConfig, TrainData
from bodyseg.train.loop import train
from bodyseg.train.part_weights import WEIGHTINGS, class_frequencies, loss_options

log = logging.getLogger("parts_study")

NETS = ("icnet", "segnet", "hourglass")
#: The weightings in the order they run: the outer ones first, so a study cut short still has them.
RUN_ORDER = ("none", "w1-outer", "w2-outer", "w1-direct", "w2-direct")
#: The other reading of 'outer': fine-tune the finished unweighted net with the weights (``none-ft``: the
#: same extra steps without weights, the control). Run with ``--weightings none-ft,w1-ft,w2-ft``.
FINETUNES = ("none-ft", "w1-ft", "w2-ft")
REPORT_ORDER = (*WEIGHTINGS, *FINETUNES)

#: Study part -> the LIP labels it groups (names of the ``lip`` part scheme).
GROUPS: dict[str, tuple[str, ...]] = {
    "background": ("background",),
    "hair": ("hat", "hair"),
    "face": ("sunglasses", "face"),
    "torso": ("upper-clothes", "dress", "coat", "jumpsuit", "scarf"),
    "lower-body": ("pants", "skirt"),
    "arms": ("glove", "left-arm", "right-arm"),
    "legs": ("socks", "left-leg", "right-leg", "left-shoe", "right-shoe"),
}
PART_NAMES = tuple(GROUPS)


def lip_to_group_table() -> np.ndarray:
    """A 256-entry look-up table: LIP id -> index of its group in :data:`GROUPS`."""
    table = np.zeros(256, np.uint8)
    for group, names in enumerate(GROUPS.values()):
        table[[LIP.id_of(name) for name in names]] = group
    return table


class InMemoryParts(torch.utils.data.Dataset):
    """Resized photos and grouped part maps held in memory; a random horizontal flip when training.

    Flipping is safe: no group has a left or right side. Each item's flip is drawn from
    ``(seed, epoch, index)``, as :class:`bodyseg.train.data.SegmentationDataset` does.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, *, flip: bool, seed: int = 0) -> None:
        self.images, self.labels, self.flip, self.seed, self.epoch = images, labels, flip, seed, 0

    def __len__(self) -> int:
        return len(self.images)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def load_pair(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self.images[index], self.labels[index]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rgb, labels = self.load_pair(index)
        if self.flip and np.random.default_rng((self.seed, self.epoch, index)).random() < 0.5:
            rgb, labels = rgb[:, ::-1], labels[:, ::-1]
        return torch.from_numpy(normalise(rgb)), torch.from_numpy(labels.astype(np.int64))


def load_split(name: str, size: tuple[int, int], root: Path | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The photos of data set ``name`` resized to ``size`` (W, H); grouped labels at that size and at full size."""
    table = lip_to_group_table()
    images, small, full = [], [], []
    for sample in open_dataset(name, root=root):
        grouped = table[sample.parts.labels]
        images.append(cv2.resize(sample.load_image(), size, interpolation=cv2.INTER_AREA))
        small.append(cv2.resize(grouped, size, interpolation=cv2.INTER_NEAREST))
        full.append(grouped)
    return np.stack(images), np.stack(small), np.stack(full)


def cached_split(
    name: str, size: tuple[int, int], root: Path | None, cache: Path
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`load_split`, kept in ``cache`` (an .npz) so a resumed study does not decode again."""
    if cache.is_file():
        with np.load(cache) as saved:
            return saved["images"], saved["small"], saved["full"]
    started = time.perf_counter()
    images, small, full = load_split(name, size, root)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, images=images, small=small, full=full)
    log.info("%s: %d photos read in %.0f s", name, len(images), time.perf_counter() - started)
    return images, small, full


@torch.no_grad()
def score(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, batch: int = 16) -> dict[str, Any]:
    """:class:`bodyseg.metrics.parts.PartMeter` scores of the net, its logits resized to the full-size ``labels``."""
    model.eval()
    meter = PartMeter(PART_NAMES)
    for start in range(0, len(images), batch):
        x = torch.from_numpy(np.stack([normalise(rgb) for rgb in images[start : start + batch]]))
        logits = nets.main_output(model(x.contiguous(memory_format=torch.channels_last)))
        logits = torch.nn.functional.interpolate(logits, size=labels.shape[1:], mode="bilinear", align_corners=False)
        for pred, truth in zip(logits.argmax(1).numpy(), labels[start : start + batch], strict=True):
            meter.update(pred, truth)
    return meter.compute()


def summarise(s: dict[str, Any]) -> dict[str, Any]:
    """The study's figures as JSON values: mIoU, pixel and mean class accuracy, per-class ones, the matrix."""
    return {
        "mean_iou": s["mean_iou"],
        "pixel_accuracy": s["pixel_accuracy"],
        "mean_class_accuracy": s["mean_class_accuracy"],
        "class_accuracy": dict(zip(PART_NAMES, s["class_accuracy"].tolist(), strict=True)),
        "iou": dict(zip(PART_NAMES, s["iou"].tolist(), strict=True)),
        "confusion": s["confusion"].tolist(),
    }


def run_one(net: str, weighting: str, args: argparse.Namespace, data: TrainData, frequencies, val) -> dict:  # noqa: ANN001
    """Train (or resume) one configuration and score it on all of viton val; ``results.json`` in its folder."""
    out = args.out / f"{net}-{weighting}"
    done = out / "results.json"
    if done.is_file():
        return json.loads(done.read_text())
    finetune = weighting in FINETUNES
    loss_name, epochs, lr, model = weighting, args.epochs, args.lr, None
    if finetune:  # none-ft -> none, w1-ft -> w1-outer, w2-ft -> w2-outer
        loss_name = "none" if weighting == "none-ft" else weighting.replace("-ft", "-outer")
        epochs, lr, model = args.finetune_epochs, args.finetune_lr, unweighted_net(net, args.out)
    config = TrainConfig(
        arch=net,
        data=("viton_parts",),
        size=max(args.size),
        epochs=epochs,
        batch_size=args.batch,
        lr=lr,
        warmup_steps=0 if finetune else 100,
        loss="ce",
        loss_options=loss_options(loss_name, frequencies),
        composite=False,
        augment=False,
        out=out,
        seed=args.seed,
        threads=1,
        steps_per_epoch=args.steps_per_epoch,
        progress=False,
    )
    started = time.perf_counter()
    result = train(config, resume=(out / "last.pt").is_file(), data=data, model=model)
    scores = score(result.model, *val)
    results = {
        "net": net,
        "weighting": weighting,
        "parameters": nets.count_parameters(result.model),
        "train_seconds": sum(r["seconds"] for r in result.history),
        "wall_seconds_this_call": time.perf_counter() - started,
        "final_train_loss": result.history[-1]["train_loss"],
        "budget": {"epochs": epochs, "steps_per_epoch": args.steps_per_epoch, "batch": args.batch, "lr": lr},
        "fine_tuned_from": str(args.out / f"{net}-none" / "last.pt") if finetune else None,
        "size": list(args.size),
        "weights": config.loss_options.get("weights"),
        **summarise(scores),
    }
    done.write_text(json.dumps(results, indent=1) + "\n")
    log.info(
        "%s %s: mIoU %.3f, mean class accuracy %.3f",
        net,
        weighting,
        results["mean_iou"],
        results["mean_class_accuracy"],
    )
    return results


def unweighted_net(net: str, out: Path) -> torch.nn.Module:
    """The finished ``none`` run of ``net`` (its last epoch), to fine-tune with weights."""
    checkpoint = out / f"{net}-none" / "last.pt"
    if not (out / f"{net}-none" / "results.json").is_file():
        raise InputError(f"{checkpoint}: fine-tuning needs the finished unweighted run; run the 'none' weighting first")
    model = nets.create(net, num_classes=len(PART_NAMES))
    model.load_state_dict(load_checkpoint(checkpoint)["model"])
    return model


def markdown_table(results: list[dict], per_class: str = "class_accuracy") -> str:
    """The study's table: one row per net and weighting, figures in percent, ``per_class`` scores per part."""
    head = "| net | weighting | mIoU | overall acc. | mean class acc. | " + " | ".join(PART_NAMES) + " |"
    lines = [head, "|---|---|" + "---:|" * (3 + len(PART_NAMES))]
    for r in results:
        cells = [r["mean_iou"], r["pixel_accuracy"], r["mean_class_accuracy"], *r[per_class].values()]
        lines.append(f"| {r['net']} | {r['weighting']} | " + " | ".join(f"{100 * c:.1f}" for c in cells) + " |")
    return "\n".join(lines)


def mean_table(results: list[dict]) -> str:
    """Per weighting, the mean over the nets that finished it."""
    lines = ["| weighting | nets | mIoU | overall acc. | mean class acc. |", "|---|---:|---:|---:|---:|"]
    for weighting in REPORT_ORDER:
        rows = [r for r in results if r["weighting"] == weighting]
        if rows:
            means = [100 * np.mean([r[k] for r in rows]) for k in ("mean_iou", "pixel_accuracy", "mean_class_accuracy")]
            lines.append(f"| {weighting} | {len(rows)} | " + " | ".join(f"{m:.1f}" for m in means) + " |")
    return "\n".join(lines)


def plot_class_accuracy(results: list[dict], path: Path, weightings=("none", "w1-outer", "w2-outer")) -> None:  # noqa: ANN001
    """Bar chart of per-class accuracy, one panel per net, one bar colour per weighting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(NETS), figsize=(5 * len(NETS), 3.6), sharey=True)
    width = 0.8 / len(weightings)
    x = np.arange(len(PART_NAMES))
    for ax, net in zip(axes, NETS, strict=True):
        for i, weighting in enumerate(weightings):
            row = next((r for r in results if r["net"] == net and r["weighting"] == weighting), None)
            if row is not None:
                ax.bar(
                    x + (i - (len(weightings) - 1) / 2) * width,
                    [100 * v for v in row["class_accuracy"].values()],
                    width,
                    label=weighting,
                )
        ax.set_title(net)
        ax.set_xticks(x, PART_NAMES, rotation=35, ha="right")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("class accuracy (%) on viton val")
    axes[0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/parts-study"), help="folder of the runs")
    parser.add_argument("--data-root", type=Path, default=None, help="the data sets folder (default: found as usual)")
    parser.add_argument("--nets", default=",".join(NETS))
    parser.add_argument("--weightings", default=",".join(RUN_ORDER), help="in this order")
    parser.add_argument("--size", type=int, nargs=2, default=(96, 128), metavar=("W", "H"), help="training size")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--steps-per-epoch", type=int, default=60)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--finetune-epochs", type=int, default=1, help="epochs of the *-ft runs")
    parser.add_argument("--finetune-lr", type=float, default=1e-4, help="peak learning rate of the *-ft runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report", action="store_true", help="only print the table of the finished runs")
    parser.add_argument("--figure", type=Path, help="also draw per-class accuracy (none, W1 outer, W2 outer) here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    torch.set_num_threads(1)
    chosen = [(n, w) for w in args.weightings.split(",") for n in args.nets.split(",")]
    if not args.report:
        w, h = args.size
        train_images, train_labels, _ = cached_split(
            "viton-train", (w, h), args.data_root, args.out / f"cache-train-{w}x{h}.npz"
        )
        val = cached_split("viton-val", (w, h), args.data_root, args.out / f"cache-val-{w}x{h}.npz")
        frequencies = class_frequencies(train_labels, len(PART_NAMES))
        log.info("class frequencies: %s", dict(zip(PART_NAMES, frequencies.round(5).tolist(), strict=True)))
        monitor = InMemoryParts(val[0][::4], val[1][::4], flip=False)  # per-epoch validation loss: every 4th photo
        data = TrainData(
            InMemoryParts(train_images, train_labels, flip=True, seed=args.seed),
            {"viton-val": monitor},
            "parts",
            len(PART_NAMES),
            PART_NAMES,
        )
        for net, weighting in chosen:
            run_one(net, weighting, args, data, frequencies, (val[0], val[2]))
    finished = [args.out / f"{n}-{w}" / "results.json" for n, w in chosen]
    results = [json.loads(p.read_text()) for p in finished if p.is_file()]
    results.sort(key=lambda r: (NETS.index(r["net"]), REPORT_ORDER.index(r["weighting"])))
    print("Per-class accuracy:\n")
    print(markdown_table(results))
    print("\nPer-class IoU:\n")
    print(markdown_table(results, "iou"))
    print("\nMeans over the nets:\n")
    print(mean_table(results))
    if args.figure and results:
        plot_class_accuracy(results, args.figure)


if __name__ == "__main__":
    main()
