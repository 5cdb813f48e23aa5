"""Training the pose-conditioned refinement net (:mod:`bodyseg.models.refiner`) of the default pipeline.

On the crops of :mod:`bodyseg.train.refiner_crops` (the pipeline's own view of composites of the
training photos, with the true mask of each person), with the training loop of
:mod:`bodyseg.train.loop`. Run it as a module::

    python -m bodyseg.train.refiner crops --out runs/refine-crops
    python -m bodyseg.train.refiner fit --crops runs/refine-crops --out runs/refiner
    python -m bodyseg.train.refiner export --run runs/refiner --to src/bodyseg/weights/pose_refiner.onnx
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from bodyseg.models.refiner import PRIOR_CHANNEL, REFINE_SIZE
from bodyseg.train.refiner_crops import VARIANTS, load_shards, make_crops, unpack

log = logging.getLogger(__name__)


#: What each input channel of the net holds (written into the model card).
INPUT_CHANNELS = (
    "R",
    "G",
    "B",
    "landmark-model probability",
    "selfie-model probability",
    "skeleton prior",
    "keypoint bumps",
)


def perturb_prior(prior: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The prior blurred, grown or shrunk by a few pixels (so the net learns to look at the image too)."""
    kind = rng.integers(3)
    if kind == 0:
        return cv2.GaussianBlur(prior, (0, 0), float(rng.uniform(1.0, 3.0)))
    kernel = np.ones((3, 3), np.uint8)
    steps = int(rng.integers(1, 4))
    return cv2.dilate(prior, kernel, iterations=steps) if kind == 1 else cv2.erode(prior, kernel, iterations=steps)


class RefineCrops:
    """Refinement samples as ``(7xSxS input, 1xSxS target)`` tensors, with flips, colour jitter and prior noise.

    Has the interface the training loop needs (``len``, items, ``set_epoch``).

    Example:
        >>> shards = load_shards(Path("runs/refine-crops"))  # doctest: +SKIP
        >>> train = RefineCrops(shards, np.flatnonzero(~shards["holdout"]), augment=True)  # doctest: +SKIP
    """

    def __init__(
        self,
        shards: dict[str, np.ndarray],
        indices: np.ndarray,
        *,
        augment: bool,
        seed: int = 0,
        p_perturb: float = 0.2,
    ) -> None:
        self.shards, self.indices, self.augment, self.seed, self.p_perturb = (
            shards,
            np.asarray(indices),
            augment,
            seed,
            p_perturb,
        )
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.indices)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, item: int) -> tuple[object, object]:
        import torch

        from bodyseg.models.runtime import normalise
        from bodyseg.train.augment import colour_jitter

        index = int(self.indices[item])
        x, target = unpack(self.shards, index)
        if self.augment:
            rng = np.random.default_rng((self.seed, self.epoch, index))
            if rng.random() < 0.8:
                rgb = colour_jitter(self.shards["rgb"][index], rng)
                x[:3] = normalise(rgb)
            if rng.random() < self.p_perturb:
                x[PRIOR_CHANNEL] = perturb_prior(np.ascontiguousarray(x[PRIOR_CHANNEL]), rng)
            if rng.random() < 0.5:
                x, target = x[:, :, ::-1], target[:, ::-1]
        return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(target))[None]


def source_of(names: np.ndarray) -> np.ndarray:
    """The source name (``ccp``, ``pfcn`` ...) of each sample name ``source/id/variant``."""
    return np.array([str(n).split("/", 1)[0] for n in names])


def fit(
    crops: Path,
    out: Path,
    *,
    epochs: int = 8,
    batch_size: int = 16,
    lr: float = 2e-3,
    threads: int = 2,
    resume: bool = False,
    base: int = 12,
    depth: int = 3,
    steps_per_epoch: int | None = None,
    variants: Sequence[str] = VARIANTS,
) -> object:
    """Train the refiner on a crops folder with the package's training loop (checkpoints, resume, curves).

    Model selection uses the crops of the hold-out photos (:func:`is_holdout`), per source; no
    validation split of any data set is touched. ``variants`` keeps only the crops of those
    composite kinds (training and hold-out alike).
    """
    from bodyseg.nets.pose_refiner import PoseRefinerNet
    from bodyseg.train.checkpoints import seed_everything
    from bodyseg.train.config import TrainConfig, TrainData
    from bodyseg.train.loop import train

    shards = load_shards(crops)
    holdout, sources = shards["holdout"], source_of(shards["names"])
    kept = np.isin(np.array([str(n).rsplit("/", 1)[-1] for n in shards["names"]]), list(variants))
    train_set = RefineCrops(shards, np.flatnonzero(~holdout & kept), augment=True)
    val = {
        name: RefineCrops(shards, np.flatnonzero(holdout & kept & (sources == name)), augment=False)
        for name in sorted(set(sources[holdout]))
    }
    log.info("%d training crops, hold-out: %s", len(train_set), ", ".join(f"{k} {len(v)}" for k, v in val.items()))
    config = TrainConfig(
        arch="pose-refiner",
        data=tuple(sorted(set(sources))),
        size=int(shards["target"].shape[-1]),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        out=out,
        threads=threads,
        composite=False,
        steps_per_epoch=steps_per_epoch,
        arch_options={"base": base, "depth": depth},
    )
    data = TrainData(train_set, val, "mask", 1)  # type: ignore[arg-type]
    seed_everything(config.seed)  # the net's initial weights too
    model = PoseRefinerNet(base=base, depth=depth)
    return train(config, resume=resume, data=data, model=model)


def export(run: Path, to: Path) -> tuple[Path, Path]:
    """The best refiner of a run as ONNX with its model card (input 7 x 128 x 128, output final logits)."""
    from bodyseg.models.card import read_card, write_card
    from bodyseg.models.refiner import REFINE_CHANNELS
    from bodyseg.nets.pose_refiner import PoseRefinerNet
    from bodyseg.train.checkpoints import load_checkpoint
    from bodyseg.train.export import export_with_card

    best = load_checkpoint(Path(run) / "best.pt")
    config = best["config"]
    model = PoseRefinerNet(**config["arch_options"])
    model.load_state_dict(best["model"])
    metrics = {f"{name}:holdout": {**scores, "threshold": 0.5} for name, scores in best["metrics"].items()}
    recipe = {k: config[k] for k in ("epochs", "batch_size", "lr", "schedule", "loss", "seed")}
    recipe["best_epoch"] = best["epoch"] + 1
    recipe["inputs"] = (
        "RGB crop (ImageNet-normalised), landmark-model probability, selfie-model probability, skeleton prior, "
        "keypoint bumps (bodyseg.models.refiner.refiner_input)"
    )
    recipe["crops"] = (
        "python -m bodyseg.train.refiner crops (photo, scene and overlay composites of the training splits)"
    )
    onnx_path, card_path = export_with_card(
        model,
        to,
        arch="pose-refiner",
        data=[f"{d}:train" for d in config["data"]],
        size=config["size"],
        num_classes=1,
        metrics=metrics,
        in_channels=REFINE_CHANNELS,
        recipe=recipe,
    )
    card = read_card(card_path)
    card["input"]["channels"] = list(INPUT_CHANNELS)
    card["input"]["resize"] = (
        "a square around the person's prior mask (bodyseg.models.refiner.refine_crop), 256 px shrunk to "
        f"{config['size']} by area"
    )
    card["output"]["meaning"] = (
        "final logits = dM + logit(prior channel); the pipeline adds dM to the prior's logit at 256 px"
    )
    write_card(card, card_path)
    return onnx_path, card_path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bodyseg.train.refiner crops|fit|export``: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m bodyseg.train.refiner", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    crops = commands.add_parser("crops", help="make the training crops (runs the detector and landmark model)")
    crops.add_argument("--out", type=Path, required=True)
    crops.add_argument("--data", default="ccp,pfcn,picsart", help="training sources (their train splits)")
    crops.add_argument(
        "--part", default="0/1", help="K/N: this process makes every N-th shard from K (run N side by side)"
    )
    crops.add_argument("--limit", type=int, default=None)
    crops.add_argument("--size", type=int, default=REFINE_SIZE, help=f"side of the net's input (default {REFINE_SIZE})")
    fit_cmd = commands.add_parser("fit", help="train the refiner on the crops")
    fit_cmd.add_argument("--crops", type=Path, required=True)
    fit_cmd.add_argument("--out", type=Path, required=True)
    fit_cmd.add_argument("--epochs", type=int, default=8)
    fit_cmd.add_argument("--batch-size", type=int, default=16)
    fit_cmd.add_argument("--lr", type=float, default=2e-3)
    fit_cmd.add_argument("--threads", type=int, default=2)
    fit_cmd.add_argument("--steps-per-epoch", type=int, default=None)
    fit_cmd.add_argument("--resume", action="store_true")
    fit_cmd.add_argument(
        "--base", type=int, default=12, help="filters of the U-Net's first level (default 12: 272k parameters)"
    )
    fit_cmd.add_argument("--depth", type=int, default=3, help="U-Net down-sampling steps (default 3)")
    fit_cmd.add_argument("--variants", default=",".join(VARIANTS), help="composite kinds to train on (default: all)")
    exp = commands.add_parser("export", help="export the best epoch to ONNX + model card")
    exp.add_argument("--run", type=Path, required=True)
    exp.add_argument("--to", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "crops":
        k, n = (int(v) for v in args.part.split("/"))
        make_crops(args.out, tuple(args.data.split(",")), part=(k, n), limit=args.limit, size=args.size)
    elif args.command == "fit":
        fit(
            args.crops,
            args.out,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            threads=args.threads,
            resume=args.resume,
            base=args.base,
            depth=args.depth,
            steps_per_epoch=args.steps_per_epoch,
            variants=tuple(args.variants.split(",")),
        )
    else:
        export(args.run, args.to)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
