"""``bodyseg train``: train a net of the zoo on person masks or part maps; checkpoints, resume, export."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from bodyseg.cli.common import parse_method_options
from bodyseg.errors import InputError

log = logging.getLogger("bodyseg")

DESCRIPTION = """\
Train a segmentation net (needs the 'train' extra: pip install 'bodyseg[train]').

Each epoch writes to the run folder OUT (keep it outside the repository, checkpoints are large):
  last.pt       everything needed to resume (model, optimiser, schedule, epoch, RNG states)
  best.pt       the model of the epoch with the lowest validation loss
  history.json  loss and IoU per epoch, per validation source
  curves.png    the same, drawn
With --export the best model is also written as OUT/<arch>.onnx with its model card OUT/<arch>.json.
"""

EPILOG = """\
data sources (--data, comma-separated; all person masks, or all part maps):
  ccp         Clothing Co-Parsing person masks, split.txt train/val (804/200)
  ccp-parts   the same photos, 59 part labels as targets (use --loss ce)
  viton-parts VITON fashion photos, LIP-20 part maps, its own train/val folders (3600/400; --loss ce)
  ccp-lip     ccp's photos with LIP-20 part maps, made by tools/ccp_to_lip.py --out runs/ccp-lip
              (read from runs/ccp-lip or $BODYSEG_CCP_LIP); trainable with viton-parts
  pfcn        PFCN portraits, fixed hash split: 15% val (1112/175)
  picsart     PicsArt selfies and portraits, fixed hash split: 15% val (1171/198)
  coco, camvid, a folder with images/ + masks/ (hash split unless it has split.txt)
Validation IoU is reported per source, never pooled.

examples:
  # the reduced U-Net at 192 px on three portrait/fashion sets, with copy-paste composites
  bodyseg train --arch unet --data ccp,pfcn,picsart --size 192 --epochs 30 --out runs/unet-192
  # continue it after an interruption (same command plus --resume; --epochs may grow)
  bodyseg train --arch unet --data ccp,pfcn,picsart --size 192 --epochs 30 --out runs/unet-192 --resume
  # body parts with class-weighted cross-entropy
  bodyseg train --arch deeplabv3plus --data ccp-parts --loss ce --class-weighting exponential --out runs/parts
  # fine-tune a part net on viton + ccp mapped to LIP (ccp-lip twice: drawn twice as often)
  bodyseg train --arch part-unet --data viton-parts,ccp-lip,ccp-lip --init runs/parts-net/best.pt --out runs/ft
  # export the best model of a finished run without training more
  bodyseg train --arch unet --out runs/unet-192 --export --epochs 0 --resume

architectures (--arch): unet, unet-aspp, fcn32s, fcn16s, fcn8s, deeplabv3plus, segnet, icnet,
  hourglass, gcn, ksac, part-unet (part maps of person crops); options with --arch-option KEY=VALUE
  (e.g. output_stride=8).
losses (--loss): bce, dice, bce+dice, focal, tversky, boundary (masks); ce (part maps).
"""


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Register ``train``."""
    parser = subparsers.add_parser(
        "train",
        help="train a segmentation net (U-Net, DeepLabv3+, ...) with checkpoints and resume",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = parser.add_argument_group("what to train")
    what.add_argument("--arch", default="unet", help="architecture (default %(default)s; see the list below)")
    what.add_argument(
        "--arch-option", action="append", default=[], metavar="KEY=VALUE", help="an architecture option, repeatable"
    )
    what.add_argument(
        "--data", default="ccp", metavar="A,B,...", help="training sources, comma-separated (default %(default)s)"
    )
    what.add_argument(
        "--data-root",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder holding the data sets (default: $BODYSEG_DATASETS or ../shared/datasets)",
    )
    what.add_argument(
        "--size", type=int, default=192, help="side of the square training crops, in pixels (default %(default)s)"
    )
    what.add_argument(
        "--composite",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="copy-paste people onto person-free scenes and onto other photos, so the net sees small, cut-off "
        "and overlapping people (default: on)",
    )
    what.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="random scale/crop, flip, colour jitter (default: on)",
    )
    how = parser.add_argument_group("how")
    how.add_argument(
        "--epochs",
        type=int,
        default=30,
        help="total epochs; a resumed run continues up to this many (default %(default)s)",
    )
    how.add_argument(
        "--stop-after",
        type=int,
        default=None,
        metavar="EPOCH",
        help="stop after this epoch, keeping the schedule of --epochs (train in slices with --resume)",
    )
    how.add_argument(
        "--steps-per-epoch",
        type=int,
        default=None,
        metavar="N",
        help="batches per epoch (default: one pass over the training set)",
    )
    how.add_argument("--batch-size", type=int, default=8, help="images per step (default %(default)s)")
    how.add_argument("--lr", type=float, default=1e-3, help="peak learning rate of Adam (default %(default)g)")
    how.add_argument(
        "--schedule",
        choices=("cosine", "poly"),
        default="cosine",
        help="learning-rate decay per step (default %(default)s)",
    )
    how.add_argument(
        "--loss",
        default=None,
        help="bce, dice, bce+dice, focal, tversky, boundary; ce for part maps (default: bce+dice, or ce for parts)",
    )
    how.add_argument(
        "--class-weighting",
        choices=("inverse", "exponential"),
        default=None,
        help="weight rare part labels up (with --loss ce)",
    )
    how.add_argument(
        "--train-limit",
        type=int,
        default=None,
        metavar="N",
        help="train on the first N samples of each source (quick trials)",
    )
    how.add_argument(
        "--val-limit",
        type=int,
        default=None,
        metavar="N",
        help="validate on the first N samples of each source (default: all)",
    )
    how.add_argument("--seed", type=int, default=0, help="seed of every random draw (default %(default)s)")
    how.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (default %(default)s: leave cores to others)"
    )
    how.add_argument(
        "--workers",
        type=int,
        default=0,
        help="data-loading processes (default %(default)s: load in the training process)",
    )
    run = parser.add_argument_group("run folder")
    run.add_argument(
        "-o",
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="run folder, outside the repository (default ~/bodyseg-runs/ARCH-SIZE)",
    )
    run.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
    run.add_argument(
        "--init",
        type=Path,
        default=None,
        metavar="CHECKPOINT",
        help="start from another run's weights (its best.pt): fine-tuning, with a fresh optimiser and schedule",
    )
    run.add_argument(
        "--export", action="store_true", help="after training, write the best model as ONNX with a JSON model card"
    )
    run.add_argument(
        "--export-size", type=int, default=None, metavar="PX", help="input side of the exported graph (default: --size)"
    )
    run.add_argument(
        "--export-flip",
        action="store_true",
        help="the exported card asks the net segmenter to average with the mirror image",
    )
    parser.set_defaults(run=run_train)


def config_from_args(args: argparse.Namespace):  # noqa: ANN201
    """The :class:`~bodyseg.train.config.TrainConfig` the options describe."""
    from bodyseg.train.config import TrainConfig
    from bodyseg.train.sources import SOURCES

    data = tuple(d.strip() for d in args.data.split(",") if d.strip())
    parts = any(SOURCES.get(d, ("", "mask"))[1] == "parts" for d in data)
    if args.size < 32 or args.size % 32:
        raise InputError(
            f"--size {args.size}: give a multiple of 32 (the nets down-sample by up to 32), e.g. 192 or 256"
        )
    return TrainConfig(
        arch=args.arch,
        data=data,
        size=args.size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        schedule=args.schedule,
        loss=args.loss or ("ce" if parts else "bce+dice"),
        class_weighting=args.class_weighting,
        composite=args.composite,
        augment=args.augment,
        out=args.out or Path.home() / "bodyseg-runs" / f"{args.arch}-{args.size}",
        seed=args.seed,
        threads=args.threads,
        workers=args.workers,
        steps_per_epoch=args.steps_per_epoch,
        train_limit=args.train_limit,
        val_limit=args.val_limit,
        arch_options=parse_method_options(args.arch_option),
        data_root=args.data_root,
        progress=not getattr(args, "quiet", False),
        init=getattr(args, "init", None),
    )


def run_train(args: argparse.Namespace) -> int:
    """Train (or resume), then export if asked; prints where everything went."""
    try:
        from bodyseg.train.export import export_best
        from bodyseg.train.loop import train
    except ImportError as exc:
        raise InputError(f"training needs torch ({exc}); install it with: pip install 'bodyseg[train]'") from None
    config = config_from_args(args)
    result = train(config, resume=args.resume, until=args.stop_after)
    if result.history:
        last = result.history[-1]
        ious = ", ".join(f"{name} {m['iou']:.3f}" for name, m in last["per_source"].items())
        print(
            f"epoch {last['epoch']}/{config.epochs}: val loss {last['val_loss']:.4f}, val IoU {ious}; best epoch "
            f"{result.best_epoch}"
        )
    print(f"run folder: {result.out} (resume with the same command plus --resume)")
    if args.export:
        onnx_path, card_path = export_best(result.out, size=args.export_size, flip=args.export_flip)
        print(f"exported {onnx_path} and its model card {card_path}")
    return 0
