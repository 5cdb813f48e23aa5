"""Per-data-set figures of a cell, computed from its per-image records with :mod:`bodyseg.metrics`.

Every figure comes from the records alone, so a resumed cell (part cached, part new) is summarised
exactly like one computed in a single run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bodyseg.bench.cell import Cell, Record
from bodyseg.io.coco_rle import decode_mask
from bodyseg.metrics import InstanceMeter, scores_from_counts

#: A predicted person fraction above this marks a person-free frame as a false alarm.
FALSE_ALARM_FRACTION = 0.01

#: The figures of a summary, in report order (None where they do not apply).
SUMMARY_FIELDS = (
    "method",
    "dataset",
    "kind",
    "has_instances",
    "images",
    "failed",
    "iou",
    "pooled_iou",
    "dice",
    "precision",
    "recall",
    "bf",
    "hd95_median",
    "ap50",
    "ap",
    "ap75",
    "ar",
    "dtssd",
    "frame_iou",
    "sequences",
    "person_fraction",
    "false_alarm_frames",
    "ms_median",
    "peak_mb",
    "memory",
    "load",
)


def summarize(cell: Cell) -> dict[str, Any]:
    """The figures of one cell (see :data:`SUMMARY_FIELDS`; ``None`` where they do not apply).

    * ``iou``, ``dice``, ``precision``, ``recall``, ``bf``: means over images; ``pooled_iou``: from
      the pixel counts summed over images; ``hd95_median``: median HD95 in pixels (inf when over
      half the images miss the person or invent one).
    * ``ap50``, ``ap``...: COCO mask AP of the people the method returned (instance sets only).
    * ``dtssd``, ``frame_iou``: means over sequences of each sequence's figure (video sets only).
    * ``person_fraction``: share of all pixels called person, ``false_alarm_frames``: images with
      more than 1% (person-free sets only).
    * ``ms_median``: median time of the ``segment`` call; ``peak_mb``: peak RSS above the run's
      start, largest over the runs that filled the cell (``memory`` says how it was measured);
      ``load``: the highest 1-minute load average at the end of those runs (ms grow with it).

    Example:
        >>> summarize(run_cell(segmenter, dataset))["iou"]  # doctest: +SKIP
    """
    records = cell.records()
    summary: dict[str, Any] = dict.fromkeys(SUMMARY_FIELDS)
    summary.update(
        method=cell.method,
        dataset=cell.dataset,
        kind=cell.kind,
        has_instances=cell.has_instances,
        images=len(records),
        failed=len(cell.failures),
    )
    summary.update(cost_figures(cell, records))
    if not records:
        return summary
    if cell.kind == "person-free":
        summary.update(person_free_figures(records))
    else:
        summary.update(region_figures(records))
    if cell.kind == "video":
        summary.update(video_figures(cell, records))
    if cell.has_instances:
        summary.update(instance_figures(records))
    return summary


def region_figures(records: list[Record]) -> dict[str, Any]:
    """Per-image means, pooled IoU and median HD95 of images with people."""
    pooled = scores_from_counts(*(int(sum(r[k] for r in records)) for k in ("tp", "fp", "fn", "tn")))
    boundary = [r["bf"] for r in records if "bf" in r]
    hd95 = [r["hd95"] for r in records if "hd95" in r]
    return {
        **{key: _mean(r[key] for r in records) for key in ("iou", "dice", "precision", "recall")},
        "pooled_iou": pooled["iou"],
        "bf": _mean(boundary),
        "hd95_median": float(np.median(hd95)) if hd95 else None,
    }


def person_free_figures(records: list[Record]) -> dict[str, Any]:
    """Share of pixels called person, and how many images have more than 1% of them."""
    called = sum(r["tp"] + r["fp"] for r in records)
    pixels = sum(r["height"] * r["width"] for r in records)
    return {
        "person_fraction": called / pixels,
        "false_alarm_frames": sum(r["person_fraction"] > FALSE_ALARM_FRACTION for r in records),
    }


def video_figures(cell: Cell, records: list[Record]) -> dict[str, Any]:
    """Means over the finished sequences of dtSSD and mean frame IoU."""
    names = list(dict.fromkeys(r["sequence"] for r in records))
    sequences = [cell.sequences[name] for name in names if name in cell.sequences]
    dtssd = [s["dtssd"] for s in sequences if s["dtssd"] == s["dtssd"]]  # NaN for one-frame sequences
    return {
        "dtssd": _mean(dtssd),
        "frame_iou": _mean(s["mean_frame_iou"] for s in sequences),
        "sequences": len(sequences),
    }


def instance_figures(records: list[Record]) -> dict[str, Any]:
    """COCO mask AP / AR of the returned people; nothing when the method returned no people."""
    if not any(r.get("people") for r in records):
        return {}
    meter = InstanceMeter()
    for r in records:
        people = r.get("people", [])
        meter.update(
            [decode_mask(p["rle"]) for p in people],
            [p["score"] for p in people],
            [decode_mask(g) for g in r.get("gt_people", [])],
        )
    result = meter.compute()
    return {key: result[key] for key in ("ap50", "ap", "ap75", "ar")}


def cost_figures(cell: Cell, records: list[Record]) -> dict[str, Any]:
    """Median milliseconds of the segment call and the largest peak memory of the cell's runs."""
    peaks = [run["peak_mb"] for run in cell.runs]
    loads = [run["load"] for run in cell.runs if run.get("load") is not None]
    return {
        "ms_median": float(np.median([r["ms"] for r in records])) if records else None,
        "peak_mb": max(peaks) if peaks else None,
        "memory": cell.runs[-1]["memory"] if cell.runs else None,
        "load": max(loads) if loads else None,
    }


def headline(summary: dict[str, Any]) -> tuple[float | None, str]:
    """The one accuracy figure of a cell and its label: mean IoU, or the person fraction of a
    person-free set (lower is better there).

    Example:
        >>> headline({"kind": "images", "iou": 0.8})
        (0.8, 'IoU')
    """
    if summary["kind"] == "person-free":
        return summary.get("person_fraction"), "person px"
    return summary.get("iou"), "IoU"


def _mean(values: Any) -> float | None:
    values = list(values)
    return float(np.mean(values)) if values else None
