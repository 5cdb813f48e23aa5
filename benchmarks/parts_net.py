"""Part figures: mIoU of our part net on viton-val and cihp_samples, the part map's person mask, and
the milliseconds parts add per person.

Prints Markdown tables:

1. LIP part scores (mIoU, pixel accuracy, mean class accuracy, fwIoU) on viton-val, of the part net
   alone on each photo (a VITON photo is one person, framed) and of the default method with
   ``parts=lip`` (what users get: person found, its crop, labels inside its mask, sides by pose);
   on cihp_samples, the default method only (several people per photo). Per-class IoU of each.
2. Person-mask IoU against the ground truth (parts > 0) on cihp_samples: the default method's mask
   and the part map's (``parts > 0``).
3. Cost: the median over ``--repeats`` interleaved runs of the default method with and without
   parts on each cihp photo (same process, same run), the difference divided by the people found;
   and the part stage alone per person.

Usage:
    OMP_NUM_THREADS=1 python benchmarks/parts_net.py --picture docs/parts.jpg --confusion docs/parts_confusion.png
    python benchmarks/parts_net.py --viton-every 4 --repeats 5
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from bodyseg.bench.parts import write_confusion_plot
from bodyseg.datasets import open_dataset
from bodyseg.metrics import PartMeter, iou, per_class_rows
from bodyseg.models.part_net import PartNet
from bodyseg.parts import BODY, LIP
from bodyseg.segmenters import create
from bodyseg.segmenters.bodyseg.parts import add_parts, labels_in_mask

log = logging.getLogger("parts_net")


def net_alone_scores(net: PartNet, dataset) -> dict:  # noqa: ANN001
    """The part net on each whole photo, labels inside the true person mask (as the pipeline does)."""
    meter = PartMeter(LIP.names)
    for sample in dataset:
        prob = net.probabilities(sample.load_image())
        meter.update(labels_in_mask(prob, sample.mask), sample.parts.labels)
    return meter.compute()


def pipeline_scores(segmenter, dataset) -> tuple[dict, list[tuple[float, float]]]:  # noqa: ANN001
    """The default method with parts on each photo; also (mask IoU, part-map mask IoU) per photo."""
    meter = PartMeter(LIP.names)
    masks = []
    for sample in dataset:
        seg = segmenter.segment(sample.load_image())
        labels = seg.parts.labels
        meter.update(np.minimum(labels, LIP.num_classes - 1), sample.parts.labels)
        masks.append((iou(seg.mask(), sample.mask), iou(labels > 0, sample.mask)))
    return meter.compute(), masks


def cost_per_person(plain, with_parts, dataset, repeats: int) -> list[dict]:  # noqa: ANN001
    """Per photo: median ms without and with parts (interleaved runs), people, the part stage alone."""
    rows = []
    for sample in dataset:
        rgb = sample.load_image()
        times: dict[str, list[float]] = {"plain": [], "parts": [], "stage": [], "stage_no_flip": []}
        plain.segment(rgb)
        with_parts.segment(rgb)
        for _ in range(repeats):
            for name, segmenter in (("plain", plain), ("parts", with_parts)):
                start = time.perf_counter()
                seg = segmenter.segment(rgb)
                times[name].append(1000 * (time.perf_counter() - start))
            start = time.perf_counter()
            add_parts(rgb, seg, with_parts.models.parts, "lip", with_parts.parts_flip)
            times["stage"].append(1000 * (time.perf_counter() - start))
            start = time.perf_counter()
            add_parts(rgb, seg, with_parts.models.parts, "lip", False)
            times["stage_no_flip"].append(1000 * (time.perf_counter() - start))
        people = max(1, len(seg.people))
        medians = {k: statistics.median(v) for k, v in times.items()}
        rows.append(
            {
                "id": sample.id,
                "people": len(seg.people),
                **medians,
                "stage_per_person": medians["stage"] / people,
                "stage_no_flip_per_person": medians["stage_no_flip"] / people,
            }
        )
    return rows


def picture(with_parts, viton, cihp, path: Path, height: int = 320) -> None:  # noqa: ANN001
    """One row: a viton-val photo's parts (ours, then its parser labels), a cihp photo's LIP and body parts."""
    from bodyseg.io import write_image
    from bodyseg.parts.overlay import parts_overlay

    panels = []
    for sample, truth in ((viton, True), (cihp, False)):
        rgb = sample.load_image()
        seg = with_parts.segment(rgb)
        panels.append(parts_overlay(rgb, seg.parts.labels, LIP))
        if truth:
            panels.append(parts_overlay(rgb, sample.parts.labels, LIP))
        else:
            body = add_parts(rgb, seg, with_parts.models.parts, "body", with_parts.parts_flip).parts.labels
            panels.append(parts_overlay(rgb, body, BODY))
    resized = [
        cv2.resize(p, (round(p.shape[1] * height / p.shape[0]), height), interpolation=cv2.INTER_AREA) for p in panels
    ]
    gap = np.full((height, 6, 3), 255, np.uint8)
    row = np.concatenate([x for panel in resized for x in (panel, gap)][:-1], axis=1)
    write_image(path, row, quality=85)
    print(f"picture: {path}")


def score_line(name: str, scores: dict) -> str:
    return (
        f"| {name} | {scores['images']} | {100 * scores['mean_iou']:.1f} | {100 * scores['pixel_accuracy']:.1f} | "
        f"{100 * scores['mean_class_accuracy']:.1f} | {100 * scores['fw_iou']:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viton-every", type=int, default=1, help="every Nth viton-val photo for the net alone")
    parser.add_argument("--pipeline-every", type=int, default=4, help="every Nth viton-val photo for the pipeline")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per photo and variant")
    parser.add_argument(
        "--confusion", type=Path, default=None, help="also draw the part net's viton-val confusion matrix (a .png path)"
    )
    parser.add_argument("--picture", type=Path, default=None, help="also draw the docs' picture (a .jpg path)")
    parser.add_argument("--weights", default=None, help="a part net's .onnx with its card (default: the shipped one)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    net = PartNet.load(args.weights)
    viton = open_dataset("viton-val", every=args.viton_every)
    viton_pipe = open_dataset("viton-val", every=args.pipeline_every)
    cihp = open_dataset("cihp-samples")
    with create("bodyseg") as plain, create("bodyseg", parts="lip") as with_parts:
        if args.weights:
            with_parts.models.parts = net
        alone = net_alone_scores(net, viton)
        pipe_viton, _ = pipeline_scores(with_parts, viton_pipe)
        pipe_cihp, masks = pipeline_scores(with_parts, cihp)
        costs = cost_per_person(plain, with_parts, cihp, args.repeats)
        if args.picture is not None:
            picture(with_parts, viton_pipe[0], cihp[1], args.picture)

    if args.confusion is not None:
        title = f"viton-val, part net alone: share of each true class's pixels ({alone['images']} photos)"
        print(f"confusion: {write_confusion_plot(args.confusion, alone['confusion'], LIP.names, title)}")
    print("| LIP parts | images | mIoU % | pixel acc. % | mean class acc. % | fwIoU % |")
    print("|---|---|---|---|---|---|")
    print(score_line("viton-val, part net alone (true person mask)", alone))
    print(score_line(f"viton-val, default method + parts (every {args.pipeline_every}th)", pipe_viton))
    print(score_line("cihp_samples, default method + parts", pipe_cihp))
    print()
    print("| class | viton-val net IoU % | viton-val pipeline IoU % | cihp pipeline IoU % | cihp pixels |")
    print("|---|---|---|---|---|")
    for a, b, c in zip(per_class_rows(alone), per_class_rows(pipe_viton), per_class_rows(pipe_cihp), strict=True):
        cells = [("n/a" if np.isnan(r["iou"]) else f"{100 * r['iou']:.1f}") for r in (a, b, c)]
        print(f"| {a['name']} | {cells[0]} | {cells[1]} | {cells[2]} | {c['pixels']} |")
    print()
    print("| cihp_samples photo | default mask IoU | part-map mask IoU |")
    print("|---|---|---|")
    for sample_id, (default_iou, parts_iou) in zip(cihp.ids(), masks, strict=True):
        print(f"| {sample_id} | {default_iou:.4f} | {parts_iou:.4f} |")
    means = np.mean(masks, axis=0)
    print(f"| mean | {means[0]:.4f} | {means[1]:.4f} |")
    print()
    print(
        "| cihp_samples photo | people | ms without parts | ms with parts | added per person | part stage per person "
        "| without mirror averaging |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in costs:
        added = (row["parts"] - row["plain"]) / max(1, row["people"])
        print(
            f"| {row['id']} | {row['people']} | {row['plain']:.0f} | {row['parts']:.0f} | {added:.0f} | "
            f"{row['stage_per_person']:.0f} | {row['stage_no_flip_per_person']:.0f} |"
        )
    stage = statistics.median(r["stage_per_person"] for r in costs)
    no_flip = statistics.median(r["stage_no_flip_per_person"] for r in costs)
    added = statistics.median((r["parts"] - r["plain"]) / max(1, r["people"]) for r in costs)
    print(
        f"\nmedian over photos: {added:.0f} ms added per person (with - without), part stage {stage:.0f} ms per person"
        f" ({no_flip:.0f} ms without mirror averaging); load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
