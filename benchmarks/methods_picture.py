"""Draw photos of a data set through two or more methods side by side: the truth, then each method's
people (one colour each, `effects.overlay`), each panel titled with its IoU against the truth.

    python benchmarks/methods_picture.py --data coco_person --ids 000000000257 000000000061 \\
        --methods bodyseg:finder_tiles=0:finder_subject_height=0 bodyseg --out docs/finder_streets.jpg
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from bodyseg import effects
from bodyseg.datasets import open_dataset
from bodyseg.io import write_image
from bodyseg.metrics import iou
from bodyseg.result import Segmentation
from bodyseg.segmenters import create
from bodyseg.segmenters.registry import parse_method_spec

HEIGHT = 260


def titled(image: np.ndarray, title: str) -> np.ndarray:
    """``image`` scaled to :data:`HEIGHT` px tall under a line of text."""
    width = round(image.shape[1] * HEIGHT / image.shape[0])
    canvas = Image.new("RGB", (width, HEIGHT + 20), "white")
    canvas.paste(Image.fromarray(image).resize((width, HEIGHT), Image.LANCZOS), (0, 20))
    ImageDraw.Draw(canvas).text((4, 4), title, fill="black")
    return np.asarray(canvas)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a data set name (see bodyseg eval --help)")
    parser.add_argument("--ids", nargs="+", required=True, help="sample ids, one row each")
    parser.add_argument("--methods", nargs="+", required=True, help="method specs, one panel each (NAME:KEY=VALUE)")
    parser.add_argument("--out", type=Path, required=True, help="the picture to write (.jpg or .png)")
    args = parser.parse_args()
    samples = {s.id: s for s in open_dataset(args.data) if s.id in set(args.ids)}
    missing = [i for i in args.ids if i not in samples]
    if missing:
        raise SystemExit(f"{args.data} has no sample {', '.join(missing)}")
    segmenters = [create(name, **options) for name, options in map(parse_method_spec, args.methods)]
    rows = []
    for sample_id in args.ids:
        sample = samples[sample_id]
        rgb, truth = sample.load_image(), sample.mask > 0
        panels = [titled(effects.overlay(rgb, Segmentation(prob=truth.astype(np.float32))), f"{sample_id}: truth")]
        for spec, segmenter in zip(args.methods, segmenters, strict=True):
            seg = segmenter.segment(rgb)
            panels.append(titled(effects.overlay(rgb, seg), f"{spec}: IoU {iou(seg.mask(), truth):.2f}"))
        rows.append(np.concatenate(panels, axis=1))
    width = max(row.shape[1] for row in rows)
    rows = [np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0)), constant_values=255) for row in rows]
    write_image(args.out, np.concatenate(rows, axis=0))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
