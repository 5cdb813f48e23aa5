"""Reports of evaluations and benchmarks: text for the terminal, CSV, Markdown and JSON files.

Files are written atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bodyseg.bench.cell import Cell
from bodyseg.bench.summary import SUMMARY_FIELDS, headline
from bodyseg.io.images import write_text

Summary = dict[str, Any]

#: Columns of the per-image CSV of ``bodyseg eval --csv``.
PER_IMAGE_FIELDS = (
    "dataset",
    "method",
    "id",
    "sequence",
    "frame",
    "width",
    "height",
    "ms",
    "iou",
    "dice",
    "precision",
    "recall",
    "bf",
    "hd95",
    "person_fraction",
    "gt_fraction",
    "people",
    "gt_people",
)


def _fixed(digits: int) -> Callable[[Any], str]:
    return lambda value: f"{value:.{digits}f}"


def _percent(value: float) -> str:
    return f"{100 * value:.2f}%"


#: The lines of :func:`format_summary`: label, the figures shown, how each is written.
SUMMARY_LINES: tuple[tuple[str, tuple[str, ...], Callable[[Any], str]], ...] = (
    ("IoU, mean per image", ("iou",), _fixed(4)),
    ("IoU, pooled pixels", ("pooled_iou",), _fixed(4)),
    ("Dice, mean per image", ("dice",), _fixed(4)),
    ("precision / recall", ("precision", "recall"), _fixed(4)),
    ("boundary F (2 px)", ("bf",), _fixed(4)),
    ("HD95 median, px", ("hd95_median",), _fixed(1)),
    ("mask AP50 / AP", ("ap50", "ap"), _fixed(4)),
    ("dtSSD / mean frame IoU", ("dtssd", "frame_iou"), _fixed(3)),
    ("person pixels", ("person_fraction",), _percent),
    ("images above 1% person", ("false_alarm_frames",), str),
    ("ms per image, median", ("ms_median",), _fixed(1)),
    ("peak memory, MB", ("peak_mb",), _fixed(0)),
)


def format_summary(summary: Summary, threshold: float = 0.5) -> str:
    """The figures of one data set as aligned text lines, for the terminal.

    Example:
        >>> print(format_summary({"dataset": "d", "method": "m", "kind": "images", "images": 2, "iou": 0.5}))
        d: m on 2 images (threshold 0.5)
          IoU, mean per image       0.5000
    """
    unit = "frames" if summary["kind"] == "video" else "images"
    lines = [f"{summary['dataset']}: {summary['method']} on {summary['images']} {unit} (threshold {threshold:g})"]
    for label, keys, write in SUMMARY_LINES:
        values = [summary.get(key) for key in keys]
        if all(v is not None for v in values):
            lines.append(f"  {label:<24}  {' / '.join(write(v) for v in values)}{_note(summary, keys)}")
        elif keys == ("ap50", "ap") and summary.get("has_instances") and summary.get("kind") != "person-free":
            lines.append(f"  {label:<24}  n/a: the method returns no separate people")
    if summary.get("failed"):
        lines.append(f"  {'failed':<24}  {summary['failed']} images (see the warnings above)")
    return "\n".join(lines)


def _note(summary: Summary, keys: tuple[str, ...]) -> str:
    if keys == ("dtssd", "frame_iou"):
        return f"  (over {summary['sequences']} sequence(s); dtSSD: lower is better)"
    if keys == ("ms_median",):
        return "  (the segment call only)"
    if keys == ("peak_mb",):
        return f"  (RSS peak above the run's start, {summary.get('memory')})"
    return ""


def per_image_rows(cells: Iterable[Cell]) -> list[dict[str, Any]]:
    """One row per image of every cell, with the columns of :data:`PER_IMAGE_FIELDS`."""
    rows = []
    for cell in cells:
        for r in cell.records():
            pixels = r["height"] * r["width"]
            rows.append(
                {
                    **{key: r.get(key) for key in PER_IMAGE_FIELDS},
                    "dataset": cell.dataset,
                    "method": cell.method,
                    "gt_fraction": (r["tp"] + r["fn"]) / pixels,
                    "people": len(r["people"]) if "people" in r else None,
                    "gt_people": len(r["gt_people"]) if "gt_people" in r else None,
                }
            )
    return rows


def write_csv(path: Path, rows: list[dict[str, Any]], fields: Iterable[str]) -> Path:
    """Write ``rows`` as CSV (floats to 6 significant digits, None as empty), atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: f"{v:.6g}" if isinstance(v, float) else v for k, v in row.items()} for row in rows)
    return write_text(path, buffer.getvalue())


def markdown_table(summaries: list[Summary]) -> str:
    """Rows methods; for each data set its headline accuracy and median ms per image.

    Example:
        >>> print(markdown_table([{"method": "m", "dataset": "d", "kind": "images", "iou": 0.5, "ms_median": 12.0}]))
        | method | d IoU | d ms |
        |---|---:|---:|
        | m | 0.500 | 12.0 |
    """
    methods = list(dict.fromkeys(s["method"] for s in summaries))
    datasets = list(dict.fromkeys(s["dataset"] for s in summaries))
    by_cell = {(s["method"], s["dataset"]): s for s in summaries}
    header = ["method"]
    for name in datasets:
        kind = next(s for s in summaries if s["dataset"] == name)
        header += [f"{name} {headline(kind)[1]}", f"{name} ms"]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for method in methods:
        cells = [method]
        for name in datasets:
            summary = by_cell.get((method, name))
            cells += _table_cells(summary)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _table_cells(summary: Summary | None) -> list[str]:
    if summary is None:
        return ["", ""]
    value, label = headline(summary)
    accuracy = "" if value is None else _percent(value) if label == "person px" else f"{value:.3f}"
    ms = "" if summary.get("ms_median") is None else f"{summary['ms_median']:.1f}"
    return [accuracy, ms]


def write_results(out: Path, summaries: list[Summary], meta: dict[str, Any]) -> list[Path]:
    """``results.md``, ``results.csv`` and ``results.json`` in ``out``; returns their paths."""
    notes = [
        f"Command: `{meta.get('command', '')}`",
        "",
        f"IoU: mean per-image IoU at threshold {meta.get('threshold', 0.5)}; person px: share of pixels called "
        "person on a person-free set (lower is better); ms: median time of the segment call per image.",
        f"Every figure of every cell: results.csv / results.json. Memory: {meta.get('memory', 'peak RSS')}.",
    ]
    loads = [s["load"] for s in summaries if s.get("load") is not None]
    if loads:
        notes.append(
            f"Machine load while measuring: 1-minute load average {min(loads):.1f} to {max(loads):.1f} on "
            f"{meta.get('cpus', '?')} CPUs; ms grow with it."
        )
    markdown = "# bodyseg bench\n\n" + markdown_table(summaries) + "\n\n" + "\n".join(notes) + "\n"
    payload = {"meta": meta, "results": [_finite(s) for s in summaries]}
    return [
        write_text(out / "results.md", markdown),
        write_csv(out / "results.csv", summaries, SUMMARY_FIELDS),
        write_text(out / "results.json", json.dumps(payload, indent=2) + "\n"),
    ]


def _finite(summary: Summary) -> Summary:
    """JSON has no inf or NaN: they become null."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in summary.items()}
